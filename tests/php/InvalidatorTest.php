<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\PersonaCache;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;

final class InvalidatorTest extends RedisTestCase
{
    /** @return array{PersonaCache, Invalidator, Client} */
    private function pair(string $prefix): array
    {
        $client = self::$redis->client(['prefix' => $prefix]);
        return [new PersonaCache($client), new Invalidator($client), $client];
    }

    public function testInvalidatePostFollowsDependentsTransitivelyAndSurvivesCycles(): void
    {
        [$cache, $inv] = $this->pair('inv1');
        // 1 shows 2, 2 shows 3, 3 shows 1 (a cycle); 4 shows 3; 5 is unrelated.
        $inv->dependsOn(1, [2]);
        $inv->dependsOn(2, ['3']);
        $inv->dependsOn(3, [1]);
        $inv->dependsOn(4, [3, 3]);
        foreach ([1, 2, 3, 4, 5] as $post) {
            $cache->warm($post, ['family' => "<p>$post</p>", 'solo' => "<p>$post solo</p>"]);
        }
        $ids = $inv->invalidatePost(3);
        $this->assertSame(3, $ids[0]);
        sort($ids);
        $this->assertSame([1, 2, 3, 4], $ids);
        foreach ([1, 2, 3, 4] as $post) {
            $this->assertNull($cache->get($post, 'family'));
            $this->assertSame([], $cache->cachedPersonas($post));
        }
        $this->assertSame('<p>5</p>', $cache->get(5, 'family'));
        $this->assertSame([7], $inv->invalidatePost(7), 'a post with nothing cached');

        $recent = $inv->recent(5);
        $this->assertSame('post', $recent[1]['type']);
        $this->assertSame('3', $recent[1]['target']);
        $this->assertSame(4, $recent[1]['posts']);
        $this->assertSame(8, $recent[1]['variants']);
        $this->assertEqualsWithDelta(microtime(true), $recent[1]['at'], 60);
    }

    public function testTagsInvalidateTheirPosts(): void
    {
        [$cache, $inv] = $this->pair('inv2');
        $inv->tag(10, ['term-7', 'author.3']);
        $inv->tag(11, ['term-7']);
        $inv->dependsOn(12, [11]);
        foreach ([10, 11, 12, 13] as $post) {
            $cache->set($post, 'family', "<p>$post</p>");
        }
        $ids = $inv->invalidateTag('term-7');
        sort($ids);
        $this->assertSame([10, 11, 12], $ids);
        $this->assertSame('<p>13</p>', $cache->get(13, 'family'));
        $this->assertSame([], $inv->invalidateTag('unused-tag'));
        $this->assertSame('tag', $inv->recent(1)[0]['type']);
    }

    public function testFlushHidesEverythingAtOnceAndKeepsOtherNamespaces(): void
    {
        [$cache, $inv, $client] = $this->pair('inv3');
        for ($post = 1; $post <= 50; $post++) {
            $cache->set($post, 'family', "<p>$post</p>");
        }
        $client->set('booking-note', 'keep me');
        $admin = self::$redis->admin();
        $admin->command('SET', 'inv3:lk:2026-12-01:room-1:10:00', 'token', 'EX', '600');
        $admin->command('SET', 'inv3:otp:abc', 'hmac', 'EX', '600');
        $admin->command('SET', 'inv3:rl:login:abc', '3', 'EX', '600');
        $keys = $admin->command('DBSIZE');
        $admin->command('CONFIG', 'RESETSTAT');
        $generation = $inv->flush();
        // From the server clock (µs): a lost generation key never comes
        // back with a value used before.
        $this->assertGreaterThan(1_700_000_000_000_000, $generation);
        $stats = $admin->command('INFO', 'commandstats');
        // A generation bump per bucket: no DEL/UNLINK, no SCAN, no KEYS.
        $this->assertDoesNotMatchRegularExpression('/cmdstat_(del|unlink|scan|keys):/', $stats);
        for ($post = 1; $post <= 50; $post++) {
            $this->assertNull($cache->get($post, 'family'));
        }
        $this->assertSame('keep me', $client->get('booking-note'));
        $this->assertSame('token', $admin->command('GET', 'inv3:lk:2026-12-01:room-1:10:00'));
        $this->assertSame('hmac', $admin->command('GET', 'inv3:otp:abc'));
        $this->assertSame('3', $admin->command('GET', 'inv3:rl:login:abc'));
        $this->assertGreaterThanOrEqual($keys, $admin->command('DBSIZE'));
        $this->assertGreaterThan($generation, $inv->flush());
        // The get() misses above saw generation 1: a set() after the second
        // flush may carry pre-flush content and is refused; the next is not.
        $this->assertFalse($cache->set(1, 'family', 'rendered before the flush'));
        $this->assertTrue($cache->set(1, 'family', 'new'));
        $this->assertSame('new', $cache->get(1, 'family'));
    }

    /**
     * Fills its own server to maxmemory.
     *
     * @group single-server
     */
    public function testInvalidationAndFlushWorkWhenRedisIsFullAndStoresFailWhole(): void
    {
        $redis = new RedisServer();
        try {
            $client = new Client($redis->url(), ['prefix' => 'inv5']);
            $cache = new PersonaCache($client);
            $inv = new Invalidator($client);
            $cache->set(1, 'family', '<p>1</p>');
            $admin = $redis->admin();
            $this->fillToMaxmemory($admin);
            $keys = $admin->command('DBSIZE');
            // Separate pools (and breakers) for the writes that must fail.
            $writer = fn (int $pool) => new PersonaCache(
                new Client($redis->url(), ['prefix' => 'inv5', 'pool_size' => $pool])
            );
            $renderer = $writer(3);
            $this->assertSame('r', $renderer->remember(3, 'family', fn () => 'r'));
            $this->assertSame('bypass', $renderer->lastStatus());
            $this->assertStringContainsString('OOM', $renderer->lastError()?->getMessage() ?? '');
            try {
                $writer(4)->warm(2, ['family' => 'a', 'solo' => 'b']);
                $this->fail('warm() stored past maxmemory');
            } catch (\RedisPersona\Exception $e) {
                $this->assertStringContainsString('OOM', $e->getMessage());
            }
            $this->assertSame($keys, $admin->command('DBSIZE'), 'a store half-applied');

            $this->assertSame([1], $inv->invalidatePost(1));
            $this->assertNull($cache->get(1, 'family'));
            $this->assertSame([9], $inv->invalidatePost(9));
            $this->assertSame([], $inv->invalidateTag('none'));
            $this->assertIsInt($inv->flush());
        } finally {
            $redis->stop();
        }
    }

    private function fillToMaxmemory(\RedisPersona\Tests\Support\Resp $admin): void
    {
        preg_match('/used_memory:(\d+)/', (string) $admin->command('INFO', 'memory'), $m);
        $admin->command('CONFIG', 'SET', 'maxmemory', (string) ((int) $m[1] + 512 * 1024));
        for ($i = 0; $i < 1000; $i++) {
            try {
                $admin->command('SET', "filler:$i", str_repeat('f', 65536));
            } catch (\RuntimeException $e) {
                $this->assertStringContainsString('OOM', $e->getMessage());
                return;
            }
        }
        $this->fail('never reached maxmemory');
    }

    public function testBadInputIsRefusedWithTheArgumentNamed(): void
    {
        [, $inv] = $this->pair('inv4');
        $cases = [
            'postId' => fn () => $inv->invalidatePost(0),
            'onPostIds[1]' => fn () => $inv->dependsOn(1, [2, 'abc']),
            'onPostIds[0]' => fn () => $inv->dependsOn(1, [-4]),
            'onPostIds[x]' => fn () => $inv->dependsOn(1, ['x' => 1.5]),
            'tags[0]' => fn () => $inv->tag(1, ['a b']),
            'tags[1]' => fn () => $inv->tag(1, ['ok', '{x}']),
            'tag' => fn () => $inv->invalidateTag("t\r\nFLUSHALL"),
            'limit' => fn () => $inv->recent(0),
        ];
        $this->assertEachRefusesItsArgument($cases);
    }
}
