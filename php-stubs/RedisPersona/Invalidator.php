<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Invalidation of the persona cache and the full-page tier (PageCache):
 * precise (a post, its dependents, a tag) or total (flush).
 *
 * Cost is proportional to what changed, never to the size of the keyspace:
 * no KEYS, no SCAN. Locks, OTP and rate-limit state are never touched.
 * Invalidation and flush also work when Redis is out of memory
 * (`maxmemory` with `noeviction`): they free memory.
 *
 * @example $invalidator = new \RedisPersona\Invalidator(new \RedisPersona\Client());
 */
final class Invalidator
{
    /**
     * No I/O happens here. Never throws.
     *
     * @example $invalidator = new \RedisPersona\Invalidator($client);
     */
    public function __construct(Client $client)
    {
    }

    /**
     * Declares that `$postId` shows content of each of `$onPostIds`, so that
     * invalidating one of them also invalidates `$postId`. Additive; each
     * relation is kept 30 days after it was last declared.
     *
     * @param list<int|numeric-string> $onPostIds at most 10 000 ids
     * @throws \ValueError When an id is not a positive integer.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $invalidator->dependsOn($landingPageId, [$offerId, $hotelId]);
     */
    public function dependsOn(int $postId, array $onPostIds): void
    {
    }

    /**
     * Adds the post to each tag, for invalidateTag().
     *
     * @param list<string> $tags 1–128 characters of `A-Z a-z 0-9 _ . -` each, at most 100
     * @throws \ValueError When the post id or a tag is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $invalidator->tag(42, ['term-7', 'author-3']);
     */
    public function tag(int $postId, array $tags): void
    {
    }

    /**
     * Removes every persona variant of the post and, transitively, of every
     * post depending on it (cycles are safe). A render of any of them that
     * began before this call will not be stored. The post's version moves to
     * a value never used before, so variants the post's index no longer
     * lists (evicted, deleted) are hidden too. Every full page (PageCache)
     * that recorded any of these posts is dropped, for every variant, and a
     * page render that began before this call will not be stored.
     *
     * @return list<int> The post ids invalidated, starting with `$postId`.
     * @throws \ValueError When the post id is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $ids = $invalidator->invalidatePost($post->ID);
     */
    public function invalidatePost(int $postId): array
    {
    }

    /**
     * Invalidates every post tagged `$tag`, and their dependents. Posts stay
     * tagged. Full pages (PageCache) tagged `$tag` or showing one of those
     * posts are dropped for every variant, and a page render with that tag
     * that began before this call will not be stored.
     *
     * @return list<int> The post ids invalidated.
     * @throws \ValueError When the tag is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $invalidator->invalidateTag('term-' . $termId);
     */
    public function invalidateTag(string $tag): array
    {
    }

    /**
     * Makes every cached variant unreachable at once, in O(1) (a generation
     * move per bucket); old variants expire on their own. The full-page
     * tier is flushed in the same round trip (PageCache::flush()). Locks,
     * OTP codes and rate limits are kept.
     *
     * @return int The new cache generation: max(previous + 1, Redis's clock
     *             in microseconds), made odd, so it is never a value used
     *             before, even after the generation keys were lost.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $invalidator->flush();
     */
    public function flush(): int
    {
    }

    /**
     * The most recent invalidations, newest first (the log keeps 200).
     * `type` is 'post', 'tag' or 'flush'; `target` the post id, tag or new
     * generation; `at` a Unix timestamp; `posts`, `variants` and `pages`
     * (full pages dropped) how much was invalidated.
     *
     * @return list<array{type: string, target: string, at: float, posts: int, variants: int,
     *     pages: int, took_ms: float}>
     * @throws \ValueError When `$limit` is not between 1 and 200.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example foreach ($invalidator->recent(10) as $e) { echo "{$e['type']} {$e['target']}\n"; }
     */
    public function recent(int $limit = 50): array
    {
    }
}
