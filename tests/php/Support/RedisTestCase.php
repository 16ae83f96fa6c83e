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
}
