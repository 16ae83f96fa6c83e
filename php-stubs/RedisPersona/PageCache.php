<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Whole responses (status, headers, body) of a normalised URL for one
 * variant (the persona), for a full-page cache that answers before the
 * application loads.
 *
 * - A hit or a stale hit is one Redis round trip (one script in the URL's
 *   bucket, so on a cluster too).
 * - A miss renders once across processes and servers: the caller whose
 *   fetch() says `render => true` holds the render lease and must call
 *   store() or abandon(); other callers wait up to `wait_ms` for its page.
 *   After `ttl` a page is served stale (to everyone but the one refresher)
 *   for `stale_ttl` more seconds.
 * - Fenced: a page rendered before an invalidation that affects it (an
 *   Invalidator::invalidatePost() of a post it shows, an invalidateTag() of
 *   one of its tags, a flush, a purgeUrl() of its URL) is never stored after
 *   it. A render older than 600 seconds is never stored.
 * - Bodies are gzip-compressed once, at store time, when that pays; fetch()
 *   hands gzip-accepting clients the stored bytes as they are.
 * - The URL never becomes key text (it is hashed); everything lives under
 *   the client's prefix in `{prefix}:pg:`, every key with a TTL.
 *
 * URLs are `http(s)://host[:port]/path`: no query, no fragment, no
 * whitespace or control characters, UTF-8, at most 2048 bytes. Variants are
 * persona slugs (1–64 characters of `a-z 0-9 _ -`). Anything else throws
 * \ValueError naming the argument.
 *
 * @example $pages = new \RedisPersona\PageCache(new \RedisPersona\Client(), ['ttl' => 600]);
 */
final class PageCache
{
    /**
     * No I/O happens here.
     *
     * @param array{ttl?: int, stale_ttl?: int, max_bytes?: int, lease_ms?: int, wait_ms?: int} $options
     *        `ttl` fresh seconds (default 3600);
     *        `stale_ttl` seconds a page is still served stale after `ttl` while one process
     *        re-renders it (default 86400);
     *        `max_bytes` largest body stored, before compression (default 4 MiB, at most 64 MiB);
     *        `lease_ms` lifetime of the single-flight render lease (default 30000, 100–300000);
     *        `wait_ms` how long a miss waits for another process's render (default 2000, 1–60000).
     *        Integer options: 0 means the default; a page lives at most 30 days.
     * @throws \ValueError When an option is unknown or out of range; the message names it.
     * @example $pages = new \RedisPersona\PageCache($client, ['ttl' => 600, 'wait_ms' => 500]);
     */
    public function __construct(Client $client, array $options = [])
    {
    }

    /**
     * The page of `$url` for `$variant`. One round trip on a hit or a stale
     * hit. On a miss whose lease another process holds, polls up to
     * `wait_ms` for its page (returned as a hit), else returns a miss with
     * `render => false`: render and serve without storing.
     *
     * @return array{state: 'hit'|'stale'|'miss', render: bool, fence: string,
     *               status?: int, headers?: array<string, string>, body?: string,
     *               encoding?: 'gzip'|'', etag?: string, age?: int,
     *               tags?: list<string>, posts?: list<int>}
     *         `render`: this caller holds the render lease and must call store() or abandon()
     *         with `fence`; `encoding` 'gzip' means `body` is the stored gzip bytes (only when
     *         `$acceptGzip`; send `Content-Encoding: gzip`); `etag` is a quoted strong ETag,
     *         different per variant and per encoding (`"…-gzip"`); `age` is seconds since the
     *         page was stored.
     * @throws \ValueError When the URL or variant is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @throws UnavailableException When Redis refuses to serve (READONLY, LOADING...).
     * @example $page = $pages->fetch('https://example.org/hello/', 'family', true);
     */
    public function fetch(string $url, string $variant, bool $acceptGzip = false): array
    {
    }

    /**
     * Stores a rendered page and releases the fence's lease. Returns false,
     * storing nothing, when an invalidation that affects the page happened
     * after the fetch that produced `$fence` (a post of `$posts`, a tag of
     * `$tags`, a flush, a purge of the URL), when the fence is older than
     * 600 seconds, when `$body` is over `max_bytes`, or when `$headers` set
     * a cookie, say `Cache-Control: private` or `no-store`, or say the body
     * is already content-encoded (`Content-Encoding` other than identity:
     * pass the identity body). Headers about one transmission
     * (`Content-Length`, `Transfer-Encoding`, `Connection`, `Keep-Alive`,
     * `Date`, `Age`) are not stored.
     *
     * @param array<string, string> $headers name => value; names are HTTP tokens, values
     *        without CR, LF or other control bytes; at most 64
     * @param list<int|numeric-string> $posts the posts the page shows, at most 1000
     * @param list<string> $tags what lists posts on it (`home`, `term-12`, `author-3`,
     *        `date-2026-11`, `archive-post`, `feed`), `A-Z a-z 0-9 _ . -`, at most 200
     * @param int|null $ttl fresh seconds (default: the `ttl` option)
     * @throws \ValueError When an argument is invalid (URL, variant, fence, status outside
     *         100–599, a header, a post id, a tag, the TTL).
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @throws UnavailableException When Redis refuses to serve (out of memory, READONLY...).
     * @example $pages->store($url, 'family', $page['fence'], 200, ['Content-Type' => 'text/html'], $html, [42], ['home']);
     */
    public function store(
        string $url,
        string $variant,
        string $fence,
        int $status,
        array $headers,
        string $body,
        array $posts,
        array $tags,
        ?int $ttl = null
    ): bool {
    }

    /**
     * Releases the render lease without storing (the response turned out
     * not cacheable). A fence whose lease expired, was taken over or never
     * existed changes nothing.
     *
     * @throws \ValueError When the URL or variant is invalid or `$fence` is not a fence.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $pages->abandon($url, 'family', $page['fence']);
     */
    public function abandon(string $url, string $variant, string $fence): void
    {
    }

    /**
     * The cached pages that show any of `$posts` or carry any of `$tags`,
     * read-only (to preload exactly what an invalidation is about to drop).
     * At most 10 000 pages.
     *
     * @param list<int|numeric-string> $posts at most 1000
     * @param list<string> $tags at most 200
     * @return list<array{url: string, variant: string}>
     * @throws \ValueError When a post id or tag is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example foreach ($pages->pagesFor([42], ['home']) as ['url' => $url, 'variant' => $variant]) { }
     */
    public function pagesFor(array $posts, array $tags): array
    {
    }

    /**
     * Drops every variant of one URL (a render of it fenced before is not
     * stored); returns how many pages were dropped.
     *
     * @throws \ValueError When the URL is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $dropped = $pages->purgeUrl('https://example.org/hello/');
     */
    public function purgeUrl(string $url): int
    {
    }

    /**
     * Makes every page unreachable at once (O(1): a generation move per
     * bucket) and refuses every render fenced before. The content cache,
     * locks and OTP are untouched. Returns the new generation.
     *
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $pages->flush();
     */
    public function flush(): int
    {
    }
}
