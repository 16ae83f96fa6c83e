<?php

/**
 * The store on the redis_persona extension: a thin adapter from the Store
 * interface to the extension's classes, built lazily (most requests use only
 * the content cache).
 *
 * Slot locks are also mirrored into the fallback's lock rows (one INSERT IGNORE
 * per acquire). That costs one database write per booking step, and buys the
 * guarantee that a switch between modes never double-books: a lock held in
 * Redis when Redis goes down is still visible to the fallback, and a lock taken
 * in the fallback during an outage makes Redis-mode acquires of that slot fail
 * until it expires or its holder releases it.
 *
 * Failures surface as \RedisPersona\Exception (ConnectionException when
 * Redis is unreachable or cannot serve); Backend catches them and repeats the
 * call on the fallback. `remember()` renders uncached instead of throwing
 * when Redis fails under it; the error it swallowed is kept here for Backend
 * (take_swallowed()), so the rest of the request moves to the fallback too.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\Otp;
use RedisPersona\PersonaCache;
use RedisPersona\RateLimitedException;
use RedisPersona\RateLimiter;
use RedisPersona\SlotLock;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisStore implements Store
{
    private Client $client;
    private StateTable $table;
    private ?PersonaCache $cache = null;
    private ?Invalidator $invalidator = null;
    private ?SlotLock $slots = null;
    private ?Otp $otp = null;
    /** @var array<string, RateLimiter> */
    private array $limiters = [];
    private ?\Throwable $swallowed = null;

    public function __construct(Client $client, StateTable $table)
    {
        $this->client = $client;
        $this->table = $table;
    }

    /** The Redis failure that the last call survived by degrading, once. */
    public function take_swallowed(): ?\Throwable
    {
        $error = $this->swallowed;
        $this->swallowed = null;
        return $error;
    }

    public function mode(): string
    {
        return 'redis';
    }

    public function client(): Client
    {
        return $this->client;
    }

    private function cache(): PersonaCache
    {
        return $this->cache ??= new PersonaCache($this->client, [
            'stale_ttl' => Policy::CACHE_STALE_TTL,
            'lock_ttl_ms' => Policy::RENDER_LOCK_MS,
            'lock_wait_ms' => Policy::RENDER_WAIT_MS,
        ]);
    }

    private function invalidator(): Invalidator
    {
        return $this->invalidator ??= new Invalidator($this->client);
    }

    private function slots(): SlotLock
    {
        return $this->slots ??= new SlotLock($this->client);
    }

    public function remember(int $post_id, string $persona, callable $render, int $ttl): array
    {
        $cache = $this->cache();
        $html = $cache->remember($post_id, $persona, $render, $ttl);
        $this->swallowed = $cache->lastError();
        return [$html, $cache->lastStatus() ?? 'miss'];
    }

    public function observe(int $post_id): string
    {
        return $this->cache()->observe($post_id);
    }

    public function warm(int $post_id, array $html_by_persona, int $ttl, ?string $fence = null): int
    {
        if ($fence !== null && str_starts_with($fence, 'fb')) {
            // Observed on the fallback: Redis may hold older HTML than that render saw.
            return 0;
        }
        return $this->cache()->warm($post_id, $html_by_persona, $ttl, $fence);
    }

    public function cached_personas(int $post_id): array
    {
        return $this->cache()->cachedPersonas($post_id);
    }

    public function relate(int $post_id, array $depends_on, array $tags): void
    {
        if ($depends_on !== []) {
            $this->invalidator()->dependsOn($post_id, $depends_on);
        }
        if ($tags !== []) {
            $this->invalidator()->tag($post_id, $tags);
        }
    }

    public function invalidate_post(int $post_id): array
    {
        return $this->invalidator()->invalidatePost($post_id);
    }

    public function invalidate_tag(string $tag): array
    {
        return $this->invalidator()->invalidateTag($tag);
    }

    public function flush(): void
    {
        $this->invalidator()->flush();
    }

    public function record_view(int $post_id): void
    {
        $this->cache()->recordView($post_id);
    }

    public function popular(int $limit): array
    {
        return $this->cache()->popular($limit);
    }

    public function stats(int $days): array
    {
        return $this->cache()->stats($days);
    }

    public function recent(int $limit): array
    {
        return $this->invalidator()->recent($limit);
    }

    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        $name = FallbackStore::lock_name($date, $resource, $time);
        // The database remembers fences the fallback issued (or a Redis that
        // lost its data had issued): Redis must go above them.
        $known = $this->table->fence_floor($name);
        $lock = $this->slots()->acquire($date, $time, $resource, $owner, $ttl, $known > 0 ? $known + 1 : 0);
        if ($lock === null) {
            return null;
        }
        $expires = (int) ceil($lock['expires_at'] * 1000);
        $mirrored = $this->table->insert($name, $lock['token'], $lock['fence'], $expires, (string) wp_json_encode(['owner' => $owner]));
        if (!$mirrored) {
            // Taken in fallback mode during an outage and still held.
            $this->slots()->release($date, $time, $resource, $lock['token']);
            return null;
        }
        $this->table->see_fence($name, $lock['fence'], $expires);
        return $lock;
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        $name = FallbackStore::lock_name($date, $resource, $time);
        if (FallbackStore::is_fallback_token($token)) {
            return $this->table->delete_if($name, $token);
        }
        $released = $this->slots()->release($date, $time, $resource, $token);
        $this->table->delete_if($name, $token);
        return $released;
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        $name = FallbackStore::lock_name($date, $resource, $time);
        $expires = StateTable::now_ms() + $ttl * 1000;
        if (FallbackStore::is_fallback_token($token)) {
            return $this->table->extend_if($name, $token, $expires);
        }
        if (!$this->slots()->extend($date, $time, $resource, $token, $ttl)) {
            return false;
        }
        $this->table->extend_if($name, $token, $expires);
        return true;
    }

    public function locked(string $date, string $resource): array
    {
        $locked = [];
        foreach ($this->slots()->locked($date, $resource) as $lock) {
            $locked[$lock['time']] = [
                'time' => $lock['time'],
                'owner' => $lock['owner'],
                'fence' => $lock['fence'],
                'expires_at' => $lock['expires_at'],
            ];
        }
        // Locks taken during an outage stay held until they expire.
        foreach (FallbackStore::locks_in($this->table, $date, $resource) as $time => $lock) {
            $locked[$time] ??= $lock;
        }
        ksort($locked);
        return $locked;
    }

    public function otp_issue(string $identity): string
    {
        $this->otp ??= new Otp($this->client, self::otp_secret(), Policy::otp());
        try {
            return $this->otp->issue($identity);
        } catch (RateLimitedException $e) {
            throw new LimitExceeded($e->getRetryAfter());
        }
    }

    public function otp_verify(string $identity, string $code): bool
    {
        $this->otp ??= new Otp($this->client, self::otp_secret(), Policy::otp());
        return $this->otp->verify($identity, $code);
    }

    private static function otp_secret(): string
    {
        return hash_hmac('sha256', 'redis-persona:otp', wp_salt('auth'), true);
    }

    public function attempt(string $name, int $limit, int $window, string $key): array
    {
        $id = $name . ':' . $limit . ':' . $window;
        $this->limiters[$id] ??= new RateLimiter($this->client, $name, $limit, $window);
        $result = $this->limiters[$id]->attempt($key);
        return [
            'allowed' => (bool) $result['allowed'],
            'remaining' => (int) $result['remaining'],
            'retry_after' => (int) ceil((float) $result['retry_after']),
        ];
    }

    public function value_get(string $key): ?string
    {
        return $this->client->get($key);
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        $this->client->set($key, $value, $ttl);
    }

    public function value_delete(string $key): void
    {
        $this->client->delete($key);
    }
}
