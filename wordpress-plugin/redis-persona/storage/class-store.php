<?php

/**
 * What the plugin needs from a backend. Two implementations keep the same
 * guarantees: RedisStore (the extension) and FallbackStore (the database).
 * Backend picks one per request and switches when Redis fails.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface Store
{
    /** 'redis' or 'fallback'. */
    public function mode(): string;

    /**
     * The cached HTML of a persona variant, rendering (once, across
     * processes) when there is none.
     *
     * @param callable(): string $render
     * @return array{0: string, 1: string} [html, 'hit'|'miss'|'stale'|'bypass']
     */
    public function remember(int $post_id, string $persona, callable $render, int $ttl): array;

    /**
     * What a preload must observe before it renders: an opaque fence that
     * every invalidation of the post (or flush) moves.
     */
    public function observe(int $post_id): string;

    /**
     * Stores every persona's variant; stores nothing and returns 0 when the
     * post was invalidated or the cache flushed since $fence was observed.
     *
     * @param array<string, string> $html_by_persona
     */
    public function warm(int $post_id, array $html_by_persona, int $ttl, ?string $fence = null): int;

    /** @return list<string> */
    public function cached_personas(int $post_id): array;

    /**
     * @param list<int> $depends_on
     * @param list<string> $tags
     */
    public function relate(int $post_id, array $depends_on, array $tags): void;

    /** @return list<int> the posts invalidated (transitively, when the store knows) */
    public function invalidate_post(int $post_id): array;

    /** @return list<int> */
    public function invalidate_tag(string $tag): array;

    public function flush(): void;

    public function record_view(int $post_id): void;

    /** @return list<array{post_id: int, views: int}> */
    public function popular(int $limit): array;

    /** @return list<array<string, mixed>> per UTC day, oldest first */
    public function stats(int $days): array;

    /** @return list<array<string, mixed>> */
    public function recent(int $limit): array;

    /** @return array{token: string, fence: int, expires_at: float}|null null when held */
    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array;

    public function unlock(string $date, string $time, string $resource, string $token): bool;

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool;

    /** @return array<string, array{time: string, owner: string, fence: int, expires_at: float}> by time */
    public function locked(string $date, string $resource): array;

    /** @throws LimitExceeded past the issuing limit for this identity */
    public function otp_issue(string $identity): string;

    public function otp_verify(string $identity, string $code): bool;

    /** @return array{allowed: bool, remaining: int, retry_after: int} */
    public function attempt(string $name, int $limit, int $window, string $key): array;

    public function value_get(string $key): ?string;

    public function value_set(string $key, string $value, int $ttl): void;

    public function value_delete(string $key): void;
}
