<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\RedisCluster;
use RedisPersona\Tests\Support\Resp;
use RedisPersona\Tests\Support\TopologyLoad;

/**
 * Failovers under load: a replica taking over with CLUSTER FAILOVER (no
 * write is lost) and a killed master (its replica is promoted). The SlotLock
 * races across failovers are in LockFailoverTest.
 *
 * @group cluster
 */
final class FailoverTest extends TestCase
{
    private static RedisCluster $cluster;

    public static function setUpBeforeClass(): void
    {
        self::$cluster = new RedisCluster();
    }

    public static function tearDownAfterClass(): void
    {
        self::$cluster->stop();
    }

    protected function setUp(): void
    {
        self::$cluster->awaitInService();
    }

    public function testManualFailoverUnderLoadLosesNothingAndCostsAHandfulOfErrors(): void
    {
        $load = new TopologyLoad(self::$cluster->childIni(), 8.0, 4, 'kv,persona,lock');
        usleep(2_000_000);
        $master = self::$cluster->masters()[0];
        $replica = self::$cluster->replicaOf($master);
        (new Resp($replica))->command('CLUSTER', 'FAILOVER');
        $failedOverAt = microtime(true);
        $start = microtime(true);
        while ((new Resp($replica))->infoField('replication', 'role') !== 'master' && microtime(true) - $start < 10) {
            usleep(50000);
        }
        $this->assertSame('master', (new Resp($replica))->infoField('replication', 'role'), 'CLUSTER FAILOVER happened');
        $result = $load->finish();
        $total = $result['total'];
        fwrite(STDERR, sprintf(
            "\n[cluster] CLUSTER FAILOVER under load: %d checked calls, %d errors, last %.2f s after the failover\n",
            $total['ops'],
            $total['errors'],
            ($result['last_error'] ?? $failedOverAt) - $failedOverAt
        ));
        $this->assertSame(0, $total['wrong'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['stale'], 'a coordinated failover loses no write: ' . TopologyLoad::describe($result));
        $this->assertSame(0, $total['unexpected'], TopologyLoad::describe($result));
        $this->assertLessThanOrEqual(4 * 5, $total['errors'], 'a handful of errors per process: ' . TopologyLoad::describe($result));
        if ($result['last_error'] !== null) {
            $this->assertLessThan($load->startedAt + 6.5, $result['last_error'], 'calls recovered: ' . TopologyLoad::describe($result));
        }
        $this->assertGreaterThan(
            0,
            max(array_map(fn ($c) => $c['topology']['failovers'] ?? 0, $result['children'])),
            'health() counted the failover: ' . json_encode(array_column($result['children'], 'topology'))
        );
    }

    public function testAKilledMasterUnderLoadIsReplacedAndCallsRecover(): void
    {
        $load = new TopologyLoad(self::$cluster->childIni(), 12.0, 4, 'kv,persona,lock', 300);
        usleep(2_000_000);
        $victim = self::$cluster->masters()[1];
        self::$cluster->kill($victim);
        $killedAt = microtime(true);
        $result = $load->finish();
        $total = $result['total'];
        fwrite(STDERR, sprintf(
            "\n[cluster] killed master under load: %d checked calls, %d errors (%d lost writes), errors until %.2f s after the kill\n",
            $total['ops'],
            $total['errors'],
            $total['stale'],
            ($result['last_error'] ?? $killedAt) - $killedAt
        ));
        $this->assertSame(0, $total['wrong'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['unexpected'], TopologyLoad::describe($result));
        $this->assertNotNull($result['last_error'], 'a killed master cost no call at all?');
        $this->assertLessThan(8.0, $result['last_error'] - $killedAt, 'calls recovered within 8 s: ' . TopologyLoad::describe($result));
        foreach ($result['children'] as $child) {
            $this->assertGreaterThan($child['last_error'] ?? 0, $child['last_ok'], 'every process works again');
        }
        self::$cluster->restartNode($victim);
        self::$cluster->waitHealthy();
    }
}
