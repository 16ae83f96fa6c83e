<?php

/**
 * The store used when the extension is not loaded, is disabled, or Redis is
 * unavailable. Same guarantees, on the database:
 *
 * - content: transients under a fallback generation (an autoloaded option),
 *   so a flush or an invalidation is one option write, and entries written
 *   during an earlier outage are never read again (Backend bumps the
 *   generation whenever fallback mode begins); one render at a time per
 *   variant through a render lock row;
 * - slot locks: rows inserted with INSERT IGNORE on a unique name, so
 *   exactly one concurrent caller wins, with an expiry; RedisStore mirrors
 *   its locks into the same rows, so a switch in either direction never
 *   double-books;
 * - one-time codes: only an HMAC of the code is stored, attempts are reserved
 *   with a conditional UPDATE, a success is consumed with a conditional
 *   DELETE, and issuing is limited per identity;
 * - rate limits: GCRA, the same algorithm as the extension (Policy), one
 *   upsert per attempt on one row per key;
 * - fences: one row per slot keeps the highest fence issued there, and a new
 *   fence is max(that + 1, the clock in ms), the extension's rule too, so a
 *   slot's fences only go up across both stores and a Redis data loss.
 *
 * Statistics, popularity and the invalidation log exist in Redis mode only.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class FallbackStore implements Store
{
    public const GENERATION_OPTION = 'redis_persona_fallback_generation';

    /** @var array<string, true> render locks this process holds (re-entry) */
    private static array $rendering = [];

    private StateTable $table;
    /** @var array<string, int> */
    private array $otp;

    public function __construct(StateTable $table)
    {
        $this->table = $table;
        $this->otp = Policy::otp();
    }

    public function mode(): string
    {
        return 'fallback';
    }

    /** Makes every cached variant unreachable (one option write). */
    public static function bump_generation(): void
    {
        update_option(self::GENERATION_OPTION, self::generation() + 1, true);
    }

    private static function generation(): int
    {
        return max(1, (int) get_option(self::GENERATION_OPTION, 1));
    }

    private function content_key(int $post_id, string $persona): string
    {
        return 'rp_c' . self::generation() . '_' . $post_id . '_' . $persona;
    }

    public function remember(int $post_id, string $persona, callable $render, int $ttl): array
    {
        $key = $this->content_key($post_id, $persona);
        $entry = get_transient($key);
        $now = time();
        if (is_array($entry) && isset($entry['h'], $entry['f']) && $entry['f'] > $now) {
            return [(string) $entry['h'], 'hit'];
        }
        $lock = 'render:' . $key;
        if (isset(self::$rendering[$lock])) {
            // Re-entered from its own render callback: waiting for our own
            // lock would stall; render without storing.
            return [$render(), 'bypass'];
        }
        $token = bin2hex(random_bytes(8));
        if ($this->table->insert($lock, $token, 0, StateTable::now_ms() + Policy::RENDER_LOCK_MS)) {
            self::$rendering[$lock] = true;
            try {
                $html = $render();
                $this->store($key, $html, $ttl);
            } finally {
                unset(self::$rendering[$lock]);
                $this->table->delete_if($lock, $token);
            }
            return [$html, 'miss'];
        }
        if (is_array($entry) && isset($entry['h'])) {
            return [(string) $entry['h'], 'stale'];
        }
        $deadline = StateTable::now_ms() + Policy::RENDER_WAIT_MS;
        while (StateTable::now_ms() < $deadline) {
            usleep(50000);
            $html = $this->peek($key);
            if ($html !== null) {
                return [$html, 'hit'];
            }
            if ($this->table->get($lock) === null) {
                break;
            }
        }
        $html = $render();
        $this->store($key, $html, $ttl);
        return [$html, 'miss'];
    }

    private function store(string $key, string $html, int $ttl): void
    {
        set_transient($key, ['h' => $html, 'f' => time() + $ttl], $ttl + Policy::CACHE_STALE_TTL);
    }

    /** Reads a transient past this request's option cache (another process writes it). */
    private function peek(string $key): ?string
    {
        global $wpdb;
        if (wp_using_ext_object_cache()) {
            $entry = wp_cache_get($key, 'transient', true);
        } else {
            $raw = $wpdb->get_var($wpdb->prepare(
                "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s",
                '_transient_' . $key
            ));
            $entry = is_string($raw) ? maybe_unserialize($raw) : null;
        }
        return is_array($entry) && isset($entry['h']) ? (string) $entry['h'] : null;
    }

    /** The fence of a post's variants: the fallback's generation (every invalidation moves it). */
    public function observe(int $post_id): string
    {
        return 'fb' . self::generation();
    }

    public function warm(int $post_id, array $html_by_persona, int $ttl, ?string $fence = null): int
    {
        if ($fence !== null && $fence !== $this->observe($post_id)) {
            // Invalidated or flushed since the render began: that HTML may be stale.
            return 0;
        }
        foreach ($html_by_persona as $persona => $html) {
            $this->store($this->content_key($post_id, (string) $persona), $html, $ttl);
        }
        return count($html_by_persona);
    }

    public function cached_personas(int $post_id): array
    {
        $cached = [];
        foreach (array_keys(Plugin::instance()->config()->personas()) as $persona) {
            if (get_transient($this->content_key($post_id, $persona)) !== false) {
                $cached[] = $persona;
            }
        }
        return $cached;
    }

    public function relate(int $post_id, array $depends_on, array $tags): void
    {
        // Relations live in Redis only; fallback invalidation is generation-wide.
    }

    public function invalidate_post(int $post_id): array
    {
        // Dependents are not known here: a new generation is always correct.
        self::bump_generation();
        return [$post_id];
    }

    public function invalidate_tag(string $tag): array
    {
        self::bump_generation();
        return [];
    }

    public function flush(): void
    {
        self::bump_generation();
    }

    public function record_view(int $post_id): void
    {
    }

    public function popular(int $limit): array
    {
        return [];
    }

    public function stats(int $days): array
    {
        return [];
    }

    public function recent(int $limit): array
    {
        return [];
    }

    public static function lock_name(string $date, string $resource, string $time = ''): string
    {
        return 'lock:' . $date . ':' . $resource . ':' . $time;
    }

    /** Tokens of locks taken in fallback mode say so, wherever they are presented later. */
    public static function is_fallback_token(string $token): bool
    {
        return str_starts_with($token, 'fb') && strlen($token) === 34;
    }

    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        $name = self::lock_name($date, $resource, $time);
        $token = 'fb' . bin2hex(random_bytes(16));
        $expires = StateTable::now_ms() + $ttl * 1000;
        $fence = $this->table->next_fence($name, $expires);
        $data = (string) wp_json_encode(['owner' => $owner]);
        if (!$this->table->insert($name, $token, $fence, $expires, $data)) {
            return null;
        }
        return ['token' => $token, 'fence' => $fence, 'expires_at' => $expires / 1000];
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        return $this->table->delete_if(self::lock_name($date, $resource, $time), $token);
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        $expires = StateTable::now_ms() + $ttl * 1000;
        return $this->table->extend_if(self::lock_name($date, $resource, $time), $token, $expires);
    }

    public function locked(string $date, string $resource): array
    {
        return self::locks_in($this->table, $date, $resource);
    }

    /**
     * The live lock rows of a day and resource, whichever store wrote them.
     *
     * @return array<string, array{time: string, owner: string, fence: int, expires_at: float}>
     */
    public static function locks_in(StateTable $table, string $date, string $resource): array
    {
        $prefix = self::lock_name($date, $resource);
        $locked = [];
        foreach ($table->with_prefix($prefix) as $row) {
            $time = substr($row['name'], strlen($prefix));
            $data = json_decode($row['data'], true);
            $locked[$time] = [
                'time' => $time,
                'owner' => is_array($data) && isset($data['owner']) ? (string) $data['owner'] : '',
                'fence' => $row['counter'],
                'expires_at' => $row['expires_at'] / 1000,
            ];
        }
        return $locked;
    }

    private function otp_name(string $identity): string
    {
        return 'otp:' . hash_hmac('sha256', $identity, self::secret('otp-identity'));
    }

    private static function secret(string $purpose): string
    {
        return hash_hmac('sha256', 'redis-persona:' . $purpose, wp_salt('nonce'));
    }

    public function otp_issue(string $identity): string
    {
        $name = $this->otp_name($identity);
        $limit = $this->table->gcra('otp-issue:' . substr($name, 4), $this->otp['issue_limit'], $this->otp['issue_window']);
        if (!$limit['allowed']) {
            throw new LimitExceeded($limit['retry_after']);
        }
        $digits = $this->otp['digits'];
        $code = str_pad((string) random_int(0, 10 ** $digits - 1), $digits, '0', STR_PAD_LEFT);
        $hash = hash_hmac('sha256', $identity . '|' . $code, self::secret('otp-code'));
        $this->table->put($name, $hash, 0, StateTable::now_ms() + $this->otp['ttl'] * 1000);
        return $code;
    }

    public function otp_verify(string $identity, string $code): bool
    {
        $name = $this->otp_name($identity);
        // Reserve the attempt first: parallel guesses get at most max_attempts comparisons.
        if (!$this->table->reserve_attempt($name, $this->otp['max_attempts'])) {
            return false;
        }
        $row = $this->table->get($name);
        if ($row === null) {
            return false;
        }
        $hash = hash_hmac('sha256', $identity . '|' . $code, self::secret('otp-code'));
        if (!hash_equals($row['value'], $hash)) {
            return false;
        }
        // Consumed by exactly one caller.
        return $this->table->delete_if($name, $hash);
    }

    public function attempt(string $name, int $limit, int $window, string $key): array
    {
        return $this->table->gcra('rl:' . $name . ':' . substr(hash('sha256', $key), 0, 40), $limit, $window);
    }

    public function value_get(string $key): ?string
    {
        $value = get_transient('rp_v_' . md5($key));
        return is_string($value) ? $value : null;
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        set_transient('rp_v_' . md5($key), $value, $ttl);
    }

    public function value_delete(string $key): void
    {
        delete_transient('rp_v_' . md5($key));
    }
}
