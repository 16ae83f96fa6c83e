<?php

/**
 * The fragment cache on the database: transients under a generation (an
 * autoloaded option), so a flush or an invalidation is one option write, and
 * entries written during an earlier outage are never read again (Backend
 * bumps the generation whenever fallback mode begins); one render at a time
 * per variant through a render lock row.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseContent implements ContentStore
{
    public const GENERATION_OPTION = 'redis_persona_fallback_generation';

    /** @var array<string, true> render locks this process holds (re-entry) */
    private static array $rendering = [];

    private StateTable $table;
    /** Whose personas cached_personas() looks for. */
    private Config $config;

    public function __construct(StateTable $table, Config $config)
    {
        $this->table = $table;
        $this->config = $config;
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
        return StoreRules::fallback_fence(self::generation());
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
        foreach (array_keys($this->config->personas()) as $persona) {
            if (get_transient($this->content_key($post_id, $persona)) !== false) {
                $cached[] = $persona;
            }
        }
        return $cached;
    }
}
