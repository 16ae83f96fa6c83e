<?php

namespace RedisPersona\Tests\Support;

use PHPUnit\Framework\TestCase;

/** A test case whose tests share one redis-server, started for the class. */
abstract class RedisTestCase extends TestCase
{
    protected static RedisServer $redis;

    public static function setUpBeforeClass(): void
    {
        static::$redis = new RedisServer();
    }

    public static function tearDownAfterClass(): void
    {
        static::$redis->stop();
    }

    /**
     * Each call must throw \ValueError whose message starts with the
     * argument's name (the array key), and none may write anything to Redis.
     *
     * @param array<string, callable(): mixed> $callsByArgument
     */
    protected function assertEachRefusesItsArgument(array $callsByArgument): void
    {
        $before = static::$redis->admin()->command('DBSIZE');
        foreach ($callsByArgument as $argument => $call) {
            try {
                $call();
                $this->fail("$argument accepted");
            } catch (\ValueError $e) {
                $this->assertStringStartsWith("$argument: ", $e->getMessage());
            }
        }
        $this->assertSame($before, static::$redis->admin()->command('DBSIZE'), 'bad input wrote to Redis');
    }
}
