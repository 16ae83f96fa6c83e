<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Pre-rendered persona variants of posts: one HTML string per (post, persona).
 *
 * A lookup is one Redis round trip. Hits and misses are counted in the
 * process and written at the end of the request, so counting costs no round
 * trip. Values are binary-safe; with compression on, values of
 * `compress_min_bytes` or more are stored LZ4-compressed and decompressed
 * transparently.
 *
 * Every variant has a fresh TTL (`ttl`) and then a stale window
 * (`stale_ttl`): remember() serves a stale variant to everyone while one
 * caller renders its replacement. Writes are fenced: a render that started
 * before Invalidator::invalidatePost() or flush() is never stored after it
 * (for a preload: observe(), render, then warm() with the fence).
 *
 * Needs Redis 7.0 or later (the scripts declare flags).
 *
 * Persona slugs are 1–64 characters of `a-z 0-9 _ -`; post ids are ≥ 1.
 * Anything else throws \ValueError naming the argument.
 *
 * @example $cache = new \RedisPersona\PersonaCache(new \RedisPersona\Client(), ['ttl' => 86400]);
 */
final class PersonaCache
{
    /**
     * No I/O happens here.
     *
     * @param array{ttl?: int, stale_ttl?: int, max_bytes?: int, compress_min_bytes?: int,
     *              compression?: 'auto'|'lz4'|'none', beta?: float, lock_ttl_ms?: int,
     *              lock_wait_ms?: int} $options
     *        `ttl` fresh lifetime in seconds (default 604800, one week);
     *        `stale_ttl` seconds a variant is still served while being refreshed (default 86400);
     *        `max_bytes` largest HTML accepted (default 1 MiB, at most 64 MiB);
     *        `compress_min_bytes` compress values at least this long (default 4096);
     *        `compression` 'auto' (default: LZ4 only when Redis is on another host;
     *        on the loopback or a Unix socket a plain hit measured faster at every
     *        size), 'lz4' or 'none';
     *        `beta` XFetch early-refresh factor (default 1.0; 0 disables early refresh);
     *        `lock_ttl_ms` lifetime of the single-flight render lock (default 5000);
     *        `lock_wait_ms` how long a caller waits for another's render (default lock_ttl_ms + 1000).
     *        Integer options: 0 means the default; total lifetime is capped at 30 days.
     * @throws \ValueError When an option is unknown or out of range; the message names it.
     * @example $cache = new \RedisPersona\PersonaCache($client, ['ttl' => 3600, 'stale_ttl' => 600]);
     */
    public function __construct(Client $client, array $options = [])
    {
    }

    /**
     * The fresh HTML of a variant, or null (missing, expired, invalidated or
     * flushed). One round trip.
     *
     * @throws \ValueError When the post id or persona is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $html = $cache->get(42, 'family') ?? render_post(42, 'family');
     */
    public function get(int $postId, string $persona): ?string
    {
    }

    /**
     * Stores a variant for `$ttl` seconds (null: the `ttl` option), plus the
     * stale window.
     *
     * @return bool false when the HTML was not stored because the post was
     *              invalidated (or the cache flushed) after this process's
     *              last get() miss of the same variant: it may be stale.
     * @throws \ValueError When an argument is invalid or `$html` is over `max_bytes` (nothing is stored).
     * @throws Exception When Redis refuses the write (e.g. out of memory); nothing is stored.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $cache->set(42, 'family', $html, 3600);
     */
    public function set(int $postId, string $persona, string $html, ?int $ttl = null): bool
    {
    }

    /**
     * Records what a preload is about to render from: returns an opaque fence
     * (the cache generation and the post's version) for warm(), and also
     * remembers it in this process for 60 seconds, so warm() without a fence
     * uses it. One round trip.
     *
     * @throws \ValueError When the post id is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $fence = $cache->observe(42); $html = render_all_personas(42); $cache->warm(42, $html, null, $fence);
     */
    public function observe(int $postId): string
    {
    }

    /**
     * The variant's HTML; on a miss `$render()` produces it and it is stored.
     *
     * - Single flight: when many processes miss at once, one renders (under a
     *   short Redis lock) and the others wait for its value. If the renderer
     *   dies, the lock expires and a waiter takes over.
     * - Stale-while-revalidate: past its fresh TTL, one caller re-renders and
     *   the others get the stale HTML at once.
     * - Early refresh (XFetch): hot variants are refreshed shortly before
     *   they expire, by one caller, so they rarely expire at all.
     * - An exception thrown by `$render` reaches the caller unchanged; nothing
     *   is stored and the lock is released.
     * - When Redis is unavailable (or cannot store: out of memory), `$render`
     *   runs and its HTML is returned (lastStatus() is 'bypass'); this method
     *   never throws ConnectionException. lastError() returns what was
     *   swallowed, so a caller can stop using Redis for the rest of its request.
     * - Called again for the same post and persona from inside its own
     *   `$render` (same process), the inner call renders at once without the
     *   cache (lastStatus() 'bypass', nothing stored); the outer call stores.
     * - HTML over `max_bytes` is returned but not stored (and logged).
     *
     * @param callable(): string $render
     * @throws \ValueError When the post id, persona or ttl is invalid.
     * @throws \TypeError When `$render` returns something other than a string.
     * @example echo $cache->remember(42, 'family', fn () => render_post(42, 'family'));
     */
    public function remember(int $postId, string $persona, callable $render, ?int $ttl = null): string
    {
    }

    /**
     * Stores several persona variants of one post in one round trip and
     * records them in the post's variant index, fenced like set(): nothing
     * is stored when the post was invalidated or the cache flushed since the
     * fence. The fence is `$fence` (from observe()), else the one this
     * process recorded for the post within 60 seconds (observe(), a get()
     * miss), else the state when the store runs. Never retried.
     *
     * @param array<string, string> $htmlByPersona persona => HTML (at most 256)
     * @param string|null $fence what observe() returned before rendering
     * @return int How many variants were stored: all, or 0 when an
     *             invalidation or flush happened since the fence.
     * @throws \ValueError When a persona or value is invalid or over `max_bytes`, or `$fence` is
     *                     not a fence of this post (nothing is stored).
     * @throws Exception When Redis refuses the write (e.g. out of memory); nothing is stored.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $cache->warm(42, ['family' => $familyHtml, 'business' => $businessHtml], null, $fence);
     */
    public function warm(int $postId, array $htmlByPersona, ?int $ttl = null, ?string $fence = null): int
    {
    }

    /**
     * Personas that have a fresh variant of the post, sorted.
     *
     * @return list<string>
     * @throws \ValueError When the post id is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $missing = array_diff($allPersonas, $cache->cachedPersonas(42));
     */
    public function cachedPersonas(int $postId): array
    {
    }

    /**
     * Counts a view of the post for the popularity ranking. No I/O now: views
     * are written with the other counters at the end of the request.
     *
     * @throws \ValueError When the post id is invalid.
     * @example $cache->recordView(get_the_ID());
     */
    public function recordView(int $postId): void
    {
    }

    /**
     * The most viewed posts, most viewed first (the ranking keeps the top
     * 10 000 posts).
     *
     * @return list<array{post_id: int, views: int}>
     * @throws \ValueError When `$limit` is not between 1 and 1000.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example foreach ($cache->popular(20) as $row) { preload($row['post_id']); }
     */
    public function popular(int $limit): array
    {
    }

    /**
     * Per-day counters (UTC days), oldest first, today last; they are kept
     * 30 days, older days read as zero. `ratio` is
     * hits / (hits + misses), 0 without lookups; `compression_ratio` is
     * raw_bytes / stored_bytes of the values stored that day.
     *
     * @return list<array{date: string, hits: int, misses: int, ratio: float, sets: int,
     *     raw_bytes: int, stored_bytes: int, compression_ratio: float}>
     * @throws \ValueError When `$days` is not between 1 and 90.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $today = $cache->stats(1)[0]; printf('%.1f%% hits', 100 * $today['ratio']);
     */
    public function stats(int $days = 7): array
    {
    }

    /**
     * How this object's last get() or remember() was answered: 'hit',
     * 'stale', 'miss' or 'bypass' (Redis unavailable); null before any call.
     * Never throws.
     *
     * @example header('X-Redis-Persona: family; ' . $cache->lastStatus());
     */
    public function lastStatus(): ?string
    {
    }

    /**
     * The exception that this object's last get(), set(), remember(), warm()
     * or observe() swallowed, or null. Only remember() swallows: when Redis
     * cannot serve it renders without the cache, and this is why (a
     * ConnectionException, or an Exception such as out of memory). The
     * object carries the file and line of that call. Never throws.
     *
     * @example $html = $cache->remember($id, $p, $render); if ($cache->lastError()) { use_database_fallback(); }
     */
    public function lastError(): ?Exception
    {
    }
}
