<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\ConnectionException;
use RedisPersona\PageCache;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;
use RedisPersona\UnavailableException;

/**
 * PageCache: whole responses by URL and variant. What a hit returns and
 * costs, compression, keys, leases, bad input, degradation. Fences and
 * invalidation: PageFenceTest; many processes: PageConcurrencyTest.
 */
final class PageCacheTest extends RedisTestCase
{
    private const URL = 'https://example.test/hello-world/';

    private function pages(string $prefix, array $options = []): PageCache
    {
        return new PageCache(self::$redis->client(['prefix' => $prefix]), $options + ['wait_ms' => 50]);
    }

    /** fetch (must take the lease), then store; returns store()'s answer. */
    private function put(
        PageCache $pages,
        string $url,
        string $variant,
        string $body,
        array $posts = [],
        array $tags = [],
        array $headers = [],
        ?int $ttl = null
    ): bool {
        $miss = $pages->fetch($url, $variant);
        $this->assertSame(['miss', true], [$miss['state'], $miss['render']]);
        return $pages->store($url, $variant, $miss['fence'], 200, $headers, $body, $posts, $tags, $ttl);
    }

    public function testAMissThenAHitWithEverythingStored(): void
    {
        $pages = $this->pages('pg1');
        $miss = $pages->fetch(self::URL, 'family');
        $this->assertSame(['state', 'render', 'fence'], array_keys($miss));
        $this->assertSame('miss', $miss['state']);
        $this->assertTrue($miss['render']);
        $html = str_repeat("<p>Family page</p>\n", 500);
        $headers = ['Content-Type' => 'text/html; charset=UTF-8', 'Link' => '<https://example.test/?p=1>; rel=shortlink'];
        $this->assertTrue($pages->store(self::URL, 'family', $miss['fence'], 200, $headers, $html, [7, '9'], ['home', 'term-3']));
        $hit = $pages->fetch(self::URL, 'family');
        $this->assertSame('hit', $hit['state']);
        $this->assertFalse($hit['render']);
        $this->assertSame(200, $hit['status']);
        $this->assertSame($headers, $hit['headers']);
        $this->assertSame($html, $hit['body']);
        $this->assertSame('', $hit['encoding']);
        $this->assertSame(['home', 'term-3'], $hit['tags']);
        $this->assertSame([7, 9], $hit['posts']);
        $this->assertSame(0, $hit['age']);
        $this->assertMatchesRegularExpression('/^"[0-9a-f]{32}"$/', $hit['etag']);
        $this->assertIsString($hit['fence']);
        // Another variant of the same URL is its own page, with its own ETag.
        $this->assertTrue($this->put($pages, self::URL, 'solo', $html));
        $solo = $pages->fetch(self::URL, 'solo');
        $this->assertSame($html, $solo['body']);
        $this->assertNotSame($hit['etag'], $solo['etag']);
        $this->assertSame($hit['etag'], $pages->fetch(self::URL, 'family')['etag'], 'stable');
        $this->assertSame('miss', $pages->fetch('https://example.test/other/', 'family')['state']);
    }

    public function testAHitAndAStaleHitAreOneRoundTrip(): void
    {
        $pages = $this->pages('pg2');
        $this->assertTrue($this->put($pages, self::URL, 'family', str_repeat('<p>x</p>', 5000), [1], ['home'], [], 1));
        $admin = self::$redis->admin();
        $reads = function (callable $call) use ($admin): int {
            $admin->command('CONFIG', 'RESETSTAT');
            $call();
            // Read events on every connection since the reset: the INFO's
            // own (one per server asked), and one per request of the call
            // (a pipeline counts once).
            return (int) $admin->infoField('stats', 'total_reads_processed') - $admin->fanOut();
        };
        $this->assertSame(0, $reads(fn () => null));
        $this->assertSame(1, $reads(fn () => $this->assertSame('hit', $pages->fetch(self::URL, 'family', true)['state'])));
        $this->assertSame(1, $reads(fn () => $this->assertSame('hit', $pages->fetch(self::URL, 'family')['state'])));
        usleep(1_100_000);
        $this->assertSame(1, $reads(function () use ($pages) {
            $stale = $pages->fetch(self::URL, 'family');
            $this->assertSame(['stale', true], [$stale['state'], $stale['render']]);
        }));
        $this->assertSame(1, $reads(function () use ($pages) {
            $stale = $pages->fetch(self::URL, 'family');
            $this->assertSame(['stale', false], [$stale['state'], $stale['render']]);
            $this->assertSame(1, $stale['age']);
        }));
    }

    /** @return array<string, array{string}> */
    public function bodies(): array
    {
        return [
            'html' => [str_repeat("<article><h1>Title</h1><p>Persona text</p></article>\n", 800)],
            'binary' => [random_bytes(3000) . "\0\r\n" . str_repeat("\x00\xff", 2000)],
            'empty' => [''],
            'tiny' => ['ok'],
        ];
    }

    /** @dataProvider bodies */
    public function testGzipClientsGetTheStoredBytesOthersTheSameBodyDecoded(string $body): void
    {
        $pages = $this->pages('pg3');
        $pages->flush();
        $this->assertTrue($this->put($pages, self::URL, 'family', $body));
        $plain = $pages->fetch(self::URL, 'family', false);
        $this->assertSame('', $plain['encoding']);
        $this->assertSame($body, $plain['body']);
        $gzip = $pages->fetch(self::URL, 'family', true);
        $stored = self::$redis->admin()->command('HGET', $this->pageKey('pg3', self::URL, 'family'), 'b');
        $this->assertSame($stored, $gzip['body'], 'the stored bytes as they are');
        if ($gzip['encoding'] === 'gzip') {
            $this->assertSame($body, gzdecode($gzip['body']));
            $this->assertLessThan(strlen($body), strlen($gzip['body']));
            $this->assertSame(substr($plain['etag'], 0, -1) . '-gzip"', $gzip['etag'], 'one ETag per representation');
        } else {
            // Compression did not pay: stored raw, served raw to everyone.
            $this->assertSame('', $gzip['encoding']);
            $this->assertSame($body, $gzip['body']);
            $this->assertGreaterThanOrEqual(strlen($body), strlen((string) gzencode($body)));
            $this->assertSame($plain['etag'], $gzip['etag'], 'the same representation');
        }
    }

    private function pageKey(string $prefix, string $url, string $variant): string
    {
        $hash = hash('sha256', $url);
        $bucket = hexdec(substr($hash, 0, 2)) % 16;
        return sprintf('%s:pg:{b%02d}:u:%s:%s', $prefix, $bucket, substr($hash, 0, 32), $variant);
    }

    public function testKeysAreUnderThePrefixHashedAndAllExpire(): void
    {
        $pages = $this->pages('pg4');
        $url = 'https://example.test/secret-path/%7Bb01%7D*/';
        $this->assertTrue($this->put($pages, $url, 'family', '<p>x</p>', [5], ['home']));
        $pages->fetch('https://example.test/leased/', 'family');
        $admin = self::$redis->admin();
        $keys = [];
        $cursor = '0';
        do {
            [$cursor, $batch] = $admin->command('SCAN', $cursor, 'MATCH', 'pg4*', 'COUNT', '1000');
            $keys = array_merge($keys, $batch);
        } while ($cursor !== '0');
        $this->assertNotEmpty($keys);
        $this->assertContains($this->pageKey('pg4', $url, 'family'), $keys);
        foreach ($keys as $key) {
            $this->assertStringStartsWith('pg4:pg:{b', $key);
            $this->assertStringNotContainsString('secret-path', $key);
            $this->assertStringNotContainsString('example.test', $key);
            $this->assertGreaterThan(0, $admin->command('PTTL', $key), "$key has no TTL");
        }
    }

    public function testAMissWaitsForTheLeaseHolderThenRendersWithoutStoring(): void
    {
        $pages = $this->pages('pg5', ['wait_ms' => 200]);
        $first = $pages->fetch(self::URL, 'family');
        $this->assertTrue($first['render']);
        $t = microtime(true);
        $second = $pages->fetch(self::URL, 'family');
        $waited = (microtime(true) - $t) * 1000;
        $this->assertSame(['miss', false], [$second['state'], $second['render']]);
        $this->assertGreaterThanOrEqual(190, $waited);
        $this->assertLessThan(600, $waited);
        // Abandoning frees the lease at once; a foreign or stale fence is a no-op.
        $pages->abandon(self::URL, 'family', $second['fence']);
        $pages->abandon(self::URL, 'solo', $first['fence']);
        $this->assertFalse($pages->fetch(self::URL, 'family')['render']);
        $pages->abandon(self::URL, 'family', $first['fence']);
        $pages->abandon(self::URL, 'family', $first['fence']);
        $third = $pages->fetch(self::URL, 'family');
        $this->assertTrue($third['render']);
        // A refused store releases the lease too.
        $this->assertFalse($pages->store(self::URL, 'family', $third['fence'], 200, ['Set-Cookie' => 'a=b'], 'x', [], []));
        $this->assertTrue($pages->fetch(self::URL, 'family')['render']);
    }

    public function testPrivateOrOversizedResponsesAreNotStored(): void
    {
        $pages = $this->pages('pg6', ['max_bytes' => 1000]);
        $cases = [
            [['Set-Cookie' => 'session=1'], 'x'],
            [['set-cookie' => 'session=1'], 'x'],
            [['Cache-Control' => 'private, max-age=60'], 'x'],
            [['Cache-Control' => 'public, no-store'], 'x'],
            [['Cache-Control' => 'NO-STORE'], 'x'],
            [['Content-Encoding' => 'gzip'], 'x'],
            [[], str_repeat('x', 1001)],
        ];
        foreach ($cases as $i => [$headers, $body]) {
            $url = "https://example.test/private-$i/";
            $miss = $pages->fetch($url, 'family');
            $this->assertFalse($pages->store($url, 'family', $miss['fence'], 200, $headers, $body, [], []), json_encode($headers));
            $this->assertSame(['miss', true], [$pages->fetch($url, 'family')['state'], true]);
        }
        $sent = ['Cache-Control' => 'public, max-age=60', 'Content-Length' => '1000', 'Date' => 'now', 'Content-Encoding' => 'identity'];
        $this->assertTrue($this->put($pages, 'https://example.test/public/', 'family', str_repeat('x', 1000), [], [], $sent));
        $this->assertSame(
            ['Cache-Control' => 'public, max-age=60', 'Content-Encoding' => 'identity'],
            $pages->fetch('https://example.test/public/', 'family')['headers'],
            'headers about one transmission are not stored'
        );
    }

    public function testPagesForListsExactlyTheCachedPagesOfThosePostsAndTags(): void
    {
        $pages = $this->pages('pg7');
        $this->assertTrue($this->put($pages, 'https://example.test/a/', 'family', 'a', [1, 2], ['home']));
        $this->assertTrue($this->put($pages, 'https://example.test/a/', 'solo', 'a', [1, 2], ['home']));
        $this->assertTrue($this->put($pages, 'https://example.test/b/', 'family', 'b', [2], ['term-4']));
        $this->assertTrue($this->put($pages, 'https://example.test/c/', 'family', 'c', [3], []));
        $sorted = function (array $list): array {
            $pairs = array_map(fn ($p) => $p['url'] . ' ' . $p['variant'], $list);
            sort($pairs);
            return $pairs;
        };
        $this->assertSame(['https://example.test/a/ family', 'https://example.test/a/ solo'], $sorted($pages->pagesFor([1], [])));
        $this->assertSame(
            ['https://example.test/a/ family', 'https://example.test/a/ solo', 'https://example.test/b/ family'],
            $sorted($pages->pagesFor([2], []))
        );
        $this->assertSame(['https://example.test/b/ family', 'https://example.test/c/ family'], $sorted($pages->pagesFor([3], ['term-4'])));
        $this->assertSame([], $pages->pagesFor([99], ['nothing']));
        $this->assertSame([], $pages->pagesFor([], []));
        $this->assertSame(['url', 'variant'], array_keys($pages->pagesFor([3], [])[0]));
        $pages->flush();
        $this->assertSame([], $pages->pagesFor([1, 2, 3], ['home']), 'only current pages');
    }

    public function testPurgeUrlDropsEveryVariantOfThatUrlOnly(): void
    {
        $pages = $this->pages('pg8');
        foreach (['family', 'solo', 'kids'] as $variant) {
            $this->assertTrue($this->put($pages, 'https://example.test/p/', $variant, $variant));
        }
        $this->assertTrue($this->put($pages, 'https://example.test/q/', 'family', 'q'));
        $this->assertSame(3, $pages->purgeUrl('https://example.test/p/'));
        $this->assertSame(0, $pages->purgeUrl('https://example.test/p/'));
        foreach (['family', 'solo', 'kids'] as $variant) {
            $this->assertSame('miss', $pages->fetch('https://example.test/p/', $variant)['state']);
        }
        $this->assertSame('hit', $pages->fetch('https://example.test/q/', 'family')['state']);
    }

    public function testFlushIsThePageTierOnly(): void
    {
        $client = self::$redis->client(['prefix' => 'pg9']);
        $pages = new PageCache($client);
        $content = new \RedisPersona\PersonaCache($client);
        $content->set(1, 'family', '<p>content</p>');
        $client->set('kept', 'v');
        $this->assertTrue($this->put($pages, self::URL, 'family', 'page'));
        $g1 = $pages->flush();
        $g2 = $pages->flush();
        $this->assertGreaterThan($g1, $g2);
        $this->assertSame('miss', $pages->fetch(self::URL, 'family')['state']);
        $this->assertSame('<p>content</p>', $content->get(1, 'family'));
        $this->assertSame('v', $client->get('kept'));
    }

    public function testTtlOverrideAndStaleWindowEnd(): void
    {
        $pages = $this->pages('pg10', ['ttl' => 3600, 'stale_ttl' => 1]);
        $this->assertTrue($this->put($pages, self::URL, 'family', 'short', [], [], [], 1));
        $this->assertSame('hit', $pages->fetch(self::URL, 'family')['state']);
        usleep(2_100_000);
        $this->assertSame('miss', $pages->fetch(self::URL, 'family')['state'], 'past ttl + stale_ttl');
    }

    public function testPhpInfoShowsThePageTiersDefaults(): void
    {
        ob_start();
        phpinfo(INFO_MODULES);
        $info = (string) ob_get_clean();
        $policy = \RedisPersona\Policy::defaults()['page'];
        $this->assertStringContainsString("page ttl => {$policy['ttl']['default']} s fresh", $info);
        $this->assertStringContainsString("page lease_ms => {$policy['lease_ms']['default']} ms", $info);
        $this->assertStringContainsString("page wait_ms => {$policy['wait_ms']['default']} ms", $info);
        $this->assertStringContainsString('PageCache', $info);
    }

    /** @return array<string, array{0: callable(PageCache): mixed, 1: string}> */
    public function badInput(): array
    {
        $ok = 'https://example.test/ok/';
        $fence = '1.2.';
        return [
            'empty url' => [fn (PageCache $p) => $p->fetch('', 'family'), 'url: '],
            'relative url' => [fn (PageCache $p) => $p->fetch('/hello/', 'family'), 'url: '],
            'query' => [fn (PageCache $p) => $p->fetch('https://example.test/?p=1', 'family'), 'url: '],
            'fragment' => [fn (PageCache $p) => $p->fetch('https://example.test/#x', 'family'), 'url: '],
            'CRLF url' => [fn (PageCache $p) => $p->fetch("https://example.test/\r\nX: y", 'family'), 'url: '],
            'space url' => [fn (PageCache $p) => $p->purgeUrl('https://example.test/a b/'), 'url: '],
            'huge url' => [fn (PageCache $p) => $p->fetch($ok . str_repeat('a', 2048), 'family'), 'url: must be 1 to 2048'],
            'non-UTF-8 url' => [fn (PageCache $p) => $p->fetch("https://example.test/\xff/", 'family'), 'url: '],
            'ftp url' => [fn (PageCache $p) => $p->fetch('ftp://example.test/', 'family'), 'url: '],
            'bad host' => [fn (PageCache $p) => $p->fetch('https://ex{a}mple/', 'family'), 'url: '],
            'bad variant' => [fn (PageCache $p) => $p->fetch($ok, 'Family'), 'variant: '],
            'empty variant' => [fn (PageCache $p) => $p->fetch($ok, ''), 'variant: '],
            'bad fence' => [fn (PageCache $p) => $p->store($ok, 'family', 'forged', 200, [], 'x', [], []), 'fence: '],
            'bad fence abandon' => [fn (PageCache $p) => $p->abandon($ok, 'family', "1.2.\r\n"), 'fence: '],
            'status 99' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 99, [], 'x', [], []), 'status: '],
            'status 600' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 600, [], 'x', [], []), 'status: '],
            'CRLF header' => [
                fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, ['X-A' => "a\r\nSet-Cookie: x"], 'x', [], []),
                "headers['X-A']: ",
            ],
            'LF header' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, ['X-A' => "a\nb"], 'x', [], []), "headers['X-A']: "],
            'header name' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, ['X A' => 'b'], 'x', [], []), "headers['X A']"],
            'list header' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, ['X-A: b'], 'x', [], []), 'headers[0]: '],
            'array header' => [
                fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, ['X' => []], 'x', [], []),
                'headers[X]: must be a string',
            ],
            'many headers' => [
                fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, array_fill_keys(range(1, 65), 'v'), 'x', [], []),
                'headers: has 65',
            ],
            'bad post' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, [], 'x', [0], []), 'posts[0]: '],
            'word post' => [fn (PageCache $p) => $p->pagesFor(['x'], []), 'posts[0]: '],
            'many posts' => [fn (PageCache $p) => $p->pagesFor(range(1, 1001), []), 'posts: has 1001'],
            'bad tag' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, [], 'x', [], ['a:b']), 'tags[0]: '],
            'many tags' => [fn (PageCache $p) => $p->pagesFor([], array_fill(0, 201, 'home')), 'tags: has 201'],
            'zero ttl' => [fn (PageCache $p) => $p->store($ok, 'family', $fence, 200, [], 'x', [], [], 0), 'ttl: '],
            'unknown option' => [fn () => new PageCache(self::$redis->client(), ['nope' => 1]), "options['nope']: unknown"],
            'bad lease' => [fn () => new PageCache(self::$redis->client(), ['lease_ms' => 'soon']), "options['lease_ms']: "],
        ];
    }

    /**
     * @dataProvider badInput
     * @param callable(PageCache): mixed $call
     */
    public function testBadInputIsAValueErrorNamingTheArgument(callable $call, string $message): void
    {
        // Key names, not DBSIZE: an earlier test's short-lived page may
        // expire meanwhile, and a write must not hide behind it.
        $before = self::keys();
        try {
            $call($this->pages('pgbad'));
            $this->fail('no exception');
        } catch (\ValueError $e) {
            $this->assertStringStartsWith($message, $e->getMessage());
        }
        $this->assertSame([], array_values(array_diff(self::keys(), $before)), 'bad input wrote a key');
    }

    /**
     * Talks to a port with no server, then fills its own server to maxmemory.
     *
     * @group single-server
     */
    public function testRedisDownIsAFastConnectionExceptionAndFullRefusesStoresOnly(): void
    {
        $port = RedisServer::freePort();
        $down = new PageCache(new Client("redis://127.0.0.1:$port", ['retry_interval_ms' => 5000]));
        foreach (range(1, 2) as $attempt) {
            $t = hrtime(true);
            try {
                $down->fetch(self::URL, 'family');
                $this->fail('fetch from a closed port succeeded');
            } catch (ConnectionException $e) {
                $this->assertNotInstanceOf(UnavailableException::class, $e);
            }
            if ($attempt === 2) {
                $this->assertLessThan(5_000_000, hrtime(true) - $t, 'the breaker answers at once');
                $this->assertStringContainsString('circuit breaker open', $e->getMessage());
            }
        }

        $redis = new RedisServer();
        $pages = new PageCache(new Client($redis->url(), ['prefix' => 'full']));
        $this->assertTrue($this->put($pages, self::URL, 'family', 'kept'));
        $miss = $pages->fetch('https://example.test/new/', 'family');
        $admin = $redis->admin();
        $admin->command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        $admin->command('CONFIG', 'SET', 'maxmemory', '1');
        try {
            $pages->store('https://example.test/new/', 'family', $miss['fence'], 200, [], 'x', [], []);
            $this->fail('stored while out of memory');
        } catch (UnavailableException $e) {
            $this->assertSame('OOM', $e->getServerCode());
        }
        $this->assertSame('kept', $pages->fetch(self::URL, 'family')['body'], 'hits keep working');
        $pages->abandon('https://example.test/new/', 'family', $miss['fence']);
        $this->assertSame(1, $pages->purgeUrl(self::URL));
        $this->assertGreaterThan(0, $pages->flush());
        $admin->command('CONFIG', 'SET', 'maxmemory', '0');
        $redis->stop();
    }
}
