<?php

/**
 * The persona fragment cache on the extension's PersonaCache. `remember()`
 * renders uncached instead of throwing when Redis fails under it; the error it
 * swallowed is kept for Backend (take_swallowed()), so the rest of the request
 * moves to the database adapters too.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\PersonaCache;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisContent implements ContentStore
{
    private Client $client;
    private ?PersonaCache $cache = null;
    private ?\Throwable $swallowed = null;

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    /** The Redis failure that the last call survived by degrading, once. */
    public function take_swallowed(): ?\Throwable
    {
        $error = $this->swallowed;
        $this->swallowed = null;
        return $error;
    }

    private function cache(): PersonaCache
    {
        return $this->cache ??= new PersonaCache($this->client, [
            'stale_ttl' => Policy::CACHE_STALE_TTL,
            'lock_ttl_ms' => Policy::RENDER_LOCK_MS,
            'lock_wait_ms' => Policy::RENDER_WAIT_MS,
        ]);
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
        if ($fence !== null && StoreRules::is_fallback_fence($fence)) {
            // Observed on the fallback: Redis may hold older HTML than that render saw.
            return 0;
        }
        return $this->cache()->warm($post_id, $html_by_persona, $ttl, $fence);
    }

    public function cached_personas(int $post_id): array
    {
        return $this->cache()->cachedPersonas($post_id);
    }
}
