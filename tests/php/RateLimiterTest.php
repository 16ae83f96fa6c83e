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
        $run = PhpProcess::run(__DIR__ . '/fixtures/race.php', ['ratelimit', self::$redis->target(), '16', '10'], self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $attempts = array_merge(...json_decode($run['stdout'], true));
        $this->assertCount(160, $attempts);
        $this->assertSame(25, count(array_filter($attempts)));
    }

    public function testABurstOfLimitThenOnePerWindowOverLimit(): void
    {
        // T = 2 s / 3 ≈ 667 ms.
        $limiter = new RateLimiter(self::$redis->client(['prefix' => 'rl2']), 'login', 3, 2);
        $this->assertSame(['allowed' => true, 'remaining' => 2, 'retry_after' => 0.0], $limiter->attempt('k'));
        $this->assertSame(1, $limiter->attempt('k')['remaining']);
        $this->assertSame(0, $limiter->attempt('k')['remaining']);
        $refused = $limiter->attempt('k');
        $this->assertSame(['allowed' => false, 'remaining' => 0, 'retry_after' => 1.0], $refused);
        $this->assertTrue($limiter->attempt('another key')['allowed']);
        usleep(700_000);
        $this->assertSame(['allowed' => true, 'remaining' => 0, 'retry_after' => 0.0], $limiter->attempt('k'));
        $this->assertFalse($limiter->attempt('k')['allowed'], 'one per interval, not a new window');
        $limiter->reset('k');
        $this->assertSame(2, $limiter->attempt('k')['remaining']);

        // retry_after: whole seconds until the next attempt is allowed.
        $hourly = new RateLimiter(self::$redis->client(['prefix' => 'rl2']), 'hourly', 4, 3600);
        for ($i = 0; $i < 4; $i++) {
            $hourly->attempt('k');
        }
        $this->assertSame(900.0, $hourly->attempt('k')['retry_after']);
    }

    public function testMemoryPerKeyStaysConstant(): void
    {
        $limiter = new RateLimiter(self::$redis->client(['prefix' => 'rl3']), 'big', 100_000, 3600);
        $limiter->attempt('203.0.113.5');
        $admin = self::$redis->admin();
        [, $keys] = $admin->command('SCAN', '0', 'MATCH', 'rl3:rl:*', 'COUNT', '1000');
        $this->assertCount(1, $keys);
        $before = $admin->command('MEMORY', 'USAGE', $keys[0]);
        for ($i = 0; $i < 3000; $i++) {
            $limiter->attempt('203.0.113.5');
        }
        $after = $admin->command('MEMORY', 'USAGE', $keys[0]);
        $this->assertLessThan(200, $after, "$before -> $after bytes");
        $this->assertLessThanOrEqual($before + 8, $after);
    }

    public function testForkedProcessesNeverGetMoreThanTheGcraBound(): void
    {
        // 8 processes for 1.2 s against 10 per second: at most 10 + d / 100 ms.
        $args = [self::$redis->target(), '8', '10', '1', '1200'];
        $run = PhpProcess::run(__DIR__ . '/fixtures/gcra-race.php', $args, self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $result = json_decode($run['stdout'], true);
        $bound = 10 + intdiv((int) ($result['ended'] - $result['started']), 100);
        $this->assertLessThanOrEqual($bound, $result['allowed']);
        $this->assertGreaterThanOrEqual(20, $result['allowed'], 'the bucket refills');
    }

    public function testBadArguments(): void
    {
        $client = self::$redis->client();
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
