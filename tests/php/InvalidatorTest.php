<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\PersonaCache;
use RedisPersona\Tests\Support\RedisTestCase;

final class InvalidatorTest extends RedisTestCase
{
    /** @return array{PersonaCache, Invalidator, Client} */
    private function pair(string $prefix): array
    {
        $client = new Client(self::$redis->url(), ['prefix' => $prefix]);
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
        $this->assertSame(1, $generation);
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
        $this->assertSame(2, $inv->flush());
        // The get() misses above saw generation 1: a set() after the second
        // flush may carry pre-flush content and is refused; the next is not.
        $this->assertFalse($cache->set(1, 'family', 'rendered before the flush'));
        $this->assertTrue($cache->set(1, 'family', 'new'));
        $this->assertSame('new', $cache->get(1, 'family'));
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
