<?php

namespace RedisPersona\Tests\Support;

use PHPUnit\Framework\TestCase;

/**
 * A test case whose tests share one Redis for the class: a redis-server
 * started for the class, or, in the suite's cluster pass
 * (RP_TEST_TOPOLOGY=cluster), the pass's shared Redis Cluster, flushed
 * before each class so classes stay independent.
 */
abstract class RedisTestCase extends TestCase
{
    protected static Topology $redis;

    public static function setUpBeforeClass(): void
    {
        static::$redis = self::topology();
    }

    public static function tearDownAfterClass(): void
    {
        static::$redis->release();
    }

    /** A fresh Redis for a test: its own server, or the flushed shared cluster. */
    public static function topology(): Topology
    {
        if (RedisCluster::selected()) {
            $cluster = RedisCluster::shared();
            $cluster->flush();
            return $cluster;
        }
        return new RedisServer();
    }

    /** @return list<string> every key of database 0 (of every master) */
    protected static function keys(): array
    {
        $admin = static::$redis->admin();
        $keys = [];
        $cursor = '0';
        do {
            [$cursor, $batch] = $admin->command('SCAN', $cursor, 'COUNT', '1000');
            array_push($keys, ...$batch);
        } while ($cursor !== '0');
        return $keys;
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
