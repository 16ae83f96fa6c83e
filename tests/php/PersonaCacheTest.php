<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\ConnectionException;
use RedisPersona\Invalidator;
use RedisPersona\PersonaCache;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;

final class PersonaCacheTest extends RedisTestCase
{
    private function cache(string $prefix, array $options = []): PersonaCache
    {
        return new PersonaCache(self::$redis->client(['prefix' => $prefix]), $options);
    }

    public function testValuesAreBinarySafeAndCompressedTransparently(): void
    {
        $cache = $this->cache('pc1', ['compression' => 'lz4']);
        $this->assertNull($cache->get(1, 'family'));
        $this->assertSame('miss', $cache->lastStatus());
        $binary = "<p>\0\xff caf\xc3\xa9 \r\n</p>";
        $this->assertTrue($cache->set(1, 'family', $binary));
        $this->assertSame($binary, $cache->get(1, 'family'));
        $this->assertSame('hit', $cache->lastStatus());

        $page = str_repeat('<div class="room">Sea view, two adults, breakfast.</div>', 1000);
        $this->assertTrue($cache->set(2, 'solo', $page, 60));
        $this->assertSame($page, $cache->get(2, 'solo'));
        $stored = self::$redis->admin()->command('GET', 'pc1:c:{b02}:p:2:solo');
        $this->assertLessThan(strlen($page) / 10, strlen($stored));
        $today = $cache->stats(1)[0];
        $this->assertSame(gmdate('Y-m-d'), $today['date']);
        $this->assertGreaterThan(10.0, $today['compression_ratio']);

        // 'auto' (the default) does not compress for a server on this host:
        // on the loopback a plain hit is faster (benches/RESULTS.md).
        $auto = $this->cache('pc1');
        $this->assertTrue($auto->set(3, 'solo', $page, 60));
        $this->assertSame($page, $auto->get(3, 'solo'));
        $stored = self::$redis->admin()->command('GET', 'pc1:c:{b03}:p:3:solo');
        $this->assertGreaterThan(strlen($page), strlen($stored));
    }

    public function testOversizedValuesAreRefusedAndNothingIsStored(): void
    {
        $cache = $this->cache('pc2', ['max_bytes' => 1024]);
        try {
            $cache->set(3, 'family', str_repeat('x', 1025));
            $this->fail('no exception');
        } catch (\ValueError $e) {
            $this->assertStringContainsString('html', $e->getMessage());
            $this->assertStringContainsString('max_bytes', $e->getMessage());
        }
        $this->assertNull($cache->get(3, 'family'));
        $this->assertSame(0, self::$redis->admin()->command('EXISTS', 'pc2:c:{b03}:p:3:family'));
        $this->expectException(\ValueError::class);
        $cache->warm(3, ['family' => 'ok', 'solo' => str_repeat('x', 2000)]);
    }

    /** @return array<string, array{0: int, 1: mixed}> */
    public static function badTargets(): array
    {
        return [
            'post 0' => [0, 'family'],
            'negative post' => [-7, 'family'],
            'empty persona' => [1, ''],
            'upper case' => [1, 'Family'],
            'glob' => [1, 'fam*'],
            'separator' => [1, 'a:b'],
            'hash tag' => [1, '{b00}'],
            'crlf injection' => [1, "x\r\nFLUSHALL\r\n"],
            'nul byte' => [1, "a\0b"],
            'too long' => [1, str_repeat('a', 65)],
        ];
    }

    /** @dataProvider badTargets */
    public function testBadTargetsAreValueErrorsNamingTheArgument(int $post, string $persona): void
    {
        $cache = $this->cache('pc3');
        $before = self::$redis->admin()->command('DBSIZE');
        foreach (['get', 'set', 'remember'] as $method) {
            try {
                match ($method) {
                    'get' => $cache->get($post, $persona),
                    'set' => $cache->set($post, $persona, 'html'),
                    'remember' => $cache->remember($post, $persona, fn () => 'html'),
                };
                $this->fail("$method accepted it");
            } catch (\ValueError $e) {
                $this->assertMatchesRegularExpression('/^(postId|persona): /', $e->getMessage());
            }
        }
        $this->assertSame($before, self::$redis->admin()->command('DBSIZE'));
    }

    public function testWrongTypesAndOptions(): void
    {
        $cache = $this->cache('pc4');
        foreach (
            [
                fn () => $cache->warm(1, ['family' => ['nested']]),
                fn () => $cache->warm(1, ['' => 'html']),
                fn () => $cache->set(1, 'family', 'x', 0),
                fn () => $cache->set(1, 'family', 'x', 40 * 86400),
                fn () => $cache->popular(0),
                fn () => $cache->stats(91),
                fn () => new PersonaCache(self::$redis->client(), ['ttl' => -1]),
                fn () => new PersonaCache(self::$redis->client(), ['nope' => 1]),
                fn () => new PersonaCache(self::$redis->client(), ['compression' => 'gzip']),
                fn () => new PersonaCache(self::$redis->client(), ['beta' => 'high']),
            ] as $i => $call
        ) {
            try {
                $call();
                $this->fail("call $i accepted bad input");
            } catch (\ValueError $e) {
                $this->assertNotSame('', $e->getMessage());
            }
        }
        $this->expectException(\TypeError::class);
        $cache->get('not a number', 'family');
    }

    public function testRememberRendersOnceThenHits(): void
    {
        $cache = $this->cache('pc5');
        $renders = 0;
        $render = function () use (&$renders) {
            $renders++;
            return "<p>render $renders</p>";
        };
        $this->assertSame('<p>render 1</p>', $cache->remember(5, 'family', $render));
        $this->assertSame('miss', $cache->lastStatus());
        $this->assertSame('<p>render 1</p>', $cache->remember(5, 'family', $render));
        $this->assertSame('hit', $cache->lastStatus());
        $this->assertSame(1, $renders);
        $this->assertSame(['family'], $cache->cachedPersonas(5));
    }

    public function testRenderExceptionsPropagateReleaseTheLockAndStoreNothing(): void
    {
        $cache = $this->cache('pc6');
        $line = __LINE__ + 3;
        try {
            $cache->remember(6, 'family', function () {
                throw new \DomainException('template broke');
            });
            $this->fail('no exception');
        } catch (\DomainException $e) {
            $this->assertSame('template broke', $e->getMessage());
            $this->assertSame($line, $e->getLine());
        }
        $this->assertSame(0, self::$redis->admin()->command('EXISTS', 'pc6:c:{b06}:l:6:family'));
        $this->assertNull($cache->get(6, 'family'));
        try {
            $cache->remember(6, 'family', fn () => null);
            $this->fail('no exception');
        } catch (\TypeError $e) {
            $this->assertStringContainsString('must return a string, null returned', $e->getMessage());
        }
        $this->assertSame(0, self::$redis->admin()->command('EXISTS', 'pc6:c:{b06}:l:6:family'));
        $this->assertSame('ok', $cache->remember(6, 'family', fn () => 'ok'));
    }

    public function testWarmStoresAllVariantsInOneCommand(): void
    {
        $cache = $this->cache('pc7');
        $variants = [];
        foreach (['family', 'solo', 'business', 'couple', 'senior', 'student', 'group', 'pet'] as $p) {
            $variants[$p] = "<p>$p</p>";
        }
        $admin = self::$redis->admin();
        $admin->command('CONFIG', 'RESETSTAT');
        $cache->warm(7, $variants); // nothing known yet: the store script
        $stats = $admin->command('INFO', 'commandstats');
        $this->assertMatchesRegularExpression('/cmdstat_evalsha:calls=[12],/', $stats, 'EVALSHA (+ a load)');
        $admin->command('CONFIG', 'RESETSTAT');
        $this->assertSame(8, $cache->warm(7, $variants, 600));
        $stats = $admin->command('INFO', 'commandstats');
        // Generation and version known: one pipeline of native commands,
        // one HSET for the eight index entries.
        $this->assertStringNotContainsString('cmdstat_evalsha', $stats);
        $this->assertStringContainsString('cmdstat_hset:calls=1,', $stats);
        $this->assertStringContainsString('cmdstat_set:calls=8,', $stats);
        $this->assertSame($this->sorted(array_keys($variants)), $cache->cachedPersonas(7));
        $this->assertSame('<p>pet</p>', $cache->get(7, 'pet'));
        $this->assertSame(0, $cache->warm(7, []));
    }

    private function sorted(array $list): array
    {
        sort($list);
        return $list;
    }

    public function testCountersAreExactOnceTheRequestHasFinished(): void
    {
        $url = self::$redis->target();
        $script = <<<'PHP'
        <?php
        $cache = new RedisPersona\PersonaCache(new RedisPersona\Client($argv[1], ['prefix' => 'pc8']));
        $cache->set(8, 'family', '<p>x</p>');
        for ($i = 0; $i < 25; $i++) { $cache->get(8, 'family'); }
        for ($i = 0; $i < 4; $i++) { $cache->get(9, 'family'); }
        for ($i = 0; $i < 3; $i++) { $cache->recordView(8); }
        $cache->recordView(9);
        PHP;
        $file = tempnam(sys_get_temp_dir(), 'rp-counters');
        file_put_contents($file, $script);
        for ($run = 0; $run < 2; $run++) {
            $result = PhpProcess::run($file, [$url], self::$redis->childIni());
            $this->assertSame(0, $result['exit'], $result['stderr']);
        }
        unlink($file);
        $cache = $this->cache('pc8');
        $today = $cache->stats(7)[6];
        $this->assertSame([50, 8, 2], [$today['hits'], $today['misses'], $today['sets']]);
        $this->assertEqualsWithDelta(50 / 58, $today['ratio'], 1e-9);
        $this->assertSame([['post_id' => 8, 'views' => 6], ['post_id' => 9, 'views' => 2]], $cache->popular(5));
    }

    public function testAWriteThatRacedWithAnInvalidationIsNotStored(): void
    {
        $client = self::$redis->client(['prefix' => 'pc9']);
        $cache = new PersonaCache($client);
        $invalidator = new Invalidator($client);
        // Inside one process: the render itself triggers the invalidation.
        $html = $cache->remember(9, 'family', function () use ($invalidator) {
            $invalidator->invalidatePost(9);
            return '<p>rendered from the old revision</p>';
        });
        $this->assertSame('<p>rendered from the old revision</p>', $html);
        $this->assertNull($cache->get(9, 'family'));
        // get-miss, invalidate, set: refused; the next miss-set is accepted.
        $invalidator->invalidatePost(9);
        $this->assertFalse($cache->set(9, 'family', 'stale'));
        $this->assertNull($cache->get(9, 'family'));
        $this->assertTrue($cache->set(9, 'family', 'fresh'));
        $this->assertSame('fresh', $cache->get(9, 'family'));
    }

    public function testAPreloadFencedByObserveNeverStoresPreEditHtml(): void
    {
        $client = self::$redis->client(['prefix' => 'pc10']);
        $cache = new PersonaCache($client);
        $invalidator = new Invalidator($client);
        $html = ['family' => '<p>old family</p>', 'solo' => '<p>old solo</p>'];

        $fence = $cache->observe(10);
        $invalidator->invalidatePost(10);      // an edit while the preload renders
        $this->assertSame(0, $cache->warm(10, $html, 600, $fence));
        $this->assertNull($cache->get(10, 'family'));

        $cache->observe(11);                   // recorded in the process for warm()
        $invalidator->flush();
        $this->assertSame(0, $cache->warm(11, $html), 'retried under the new generation');
        $this->assertNull($cache->get(11, 'family'));

        $this->assertNull($cache->get(12, 'solo'));   // a miss fences warm() too
        $invalidator->invalidatePost(12);
        $this->assertSame(0, $cache->warm(12, $html));

        $fence = $cache->observe(13);
        $this->assertSame(2, $cache->warm(13, $html, 600, $fence));
        $this->assertSame('<p>old solo</p>', $cache->get(13, 'solo'));

        $this->assertEachRefusesItsArgument([
            'fence' => fn () => $cache->warm(14, $html, null, 'not a fence'),
        ]);
        try {
            $cache->warm(14, $html, null, $fence);
            $this->fail('a fence of post 13 was accepted for post 14');
        } catch (\ValueError $e) {
            $this->assertStringStartsWith('fence: ', $e->getMessage());
        }
    }

    public function testLastErrorIsWhatRememberSwallowed(): void
    {
        $down = new PersonaCache(new Client('redis://127.0.0.1:' . RedisServer::freePort()));
        $this->assertNull($down->lastError());
        $line = __LINE__ + 1;
        $this->assertSame('rendered', $down->remember(1, 'family', fn () => 'rendered'));
        $this->assertSame('bypass', $down->lastStatus());
        $error = $down->lastError();
        $this->assertInstanceOf(ConnectionException::class, $error);
        $this->assertSame(__FILE__, $error->getFile());
        $this->assertSame($line, $error->getLine());
        $this->assertSame($error, $down->lastError());
        try {
            $down->get(1, 'family');
            $this->fail('get() swallowed the error');
        } catch (ConnectionException $e) {
            $this->assertNull($down->lastError(), 'get() throws, it swallows nothing');
        }
        // A render that throws while Redis is down: its exception wins, the
        // Redis error is still kept.
        try {
            $down->remember(1, 'family', fn () => throw new \DomainException('template broke'));
            $this->fail('no exception');
        } catch (\DomainException $e) {
            $this->assertNull($e->getPrevious());
        }
        $this->assertInstanceOf(ConnectionException::class, $down->lastError());
        try {
            $down->remember(0, 'family', fn () => 'never');
            $this->fail('post 0 accepted');
        } catch (\ValueError $e) {
            $this->assertNull($down->lastError(), 'a refused call swallowed nothing');
        }

        $live = $this->cache('pc11');
        $live->remember(1, 'family', fn () => 'ok');
        $this->assertNull($live->lastError());
    }
}
