<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\RateLimiter;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

final class RateLimiterTest extends RedisTestCase
{
    public function testSixteenProcessesTimesTenAttemptsAgainstALimitOf25AllowExactly25(): void
    {
        $run = PhpProcess::run(__DIR__ . '/fixtures/race.php', ['ratelimit', self::$redis->url(), '16', '10']);
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $attempts = array_merge(...json_decode($run['stdout'], true));
        $this->assertCount(160, $attempts);
        $this->assertSame(25, count(array_filter($attempts)));
    }

    public function testRemainingRetryAfterAndReset(): void
    {
        $limiter = new RateLimiter(new Client(self::$redis->url(), ['prefix' => 'rl2']), 'login', 3, 2);
        $this->assertSame(['allowed' => true, 'remaining' => 2, 'retry_after' => 0.0], $limiter->attempt('k'));
        $limiter->attempt('k');
        $this->assertSame(0, $limiter->attempt('k')['remaining']);
        $refused = $limiter->attempt('k');
        $this->assertFalse($refused['allowed']);
        $this->assertGreaterThan(1.5, $refused['retry_after']);
        $this->assertLessThanOrEqual(2.0, $refused['retry_after']);
        $this->assertTrue($limiter->attempt('another key')['allowed']);
        usleep(2_100_000);
        $this->assertTrue($limiter->attempt('k')['allowed'], 'the window slid');
        $limiter->reset('k');
        $this->assertSame(2, $limiter->attempt('k')['remaining']);
    }

    public function testBadArguments(): void
    {
        $client = new Client(self::$redis->url());
        $cases = [
            'name' => fn () => new RateLimiter($client, 'a:b', 1, 1),
            'limit' => fn () => new RateLimiter($client, 'x', 0, 1),
            'windowSeconds' => fn () => new RateLimiter($client, 'x', 1, 0),
            'key' => fn () => (new RateLimiter($client, 'x', 1, 1))->attempt(''),
        ];
        $this->assertEachRefusesItsArgument($cases);
        // Any bytes are a valid key: they are hashed, never used as key text.
        $this->assertTrue((new RateLimiter($client, 'x', 1, 1))->attempt("*\r\n{}\0")['allowed']);
    }
}
