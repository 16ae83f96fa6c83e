<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\HashSlot;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisCluster;
use RedisPersona\Tests\Support\Resp;
use RedisPersona\Tests\Support\TopologyLoad;

/**
 * Failovers under load: a replica taking over with CLUSTER FAILOVER (no
 * write is lost), a killed master (its replica is promoted), and a 32-process
 * SlotLock race across a killed master, where the fences must let a booking
 * write reject every holder that lost the slot.
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
        self::$cluster->waitHealthy();
        // A cluster in service: its replicas have replicated something, so
        // CLUSTER SLOTS lists them (Redis 7.0 omits a replica at offset 0).
        self::$cluster->admin()->command('SET', 'in-service', '1');
        self::$cluster->awaitReplicasListed();
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

    /**
     * Issue 14's guarantee under failover: 32 processes race for one slot
     * while the master holding its hash tag is killed. A hold acquired on the
     * dead master may not have reached its replica, so the promoted replica
     * can grant the slot again while the first holder still believes it
     * holds it (the known Redlock case). What must hold: every fence is
     * larger than every fence granted before its acquire was asked, so a
     * booking write that keeps the highest fence seen for the slot and
     * refuses anything not above it rejects the holder that lost the slot.
     */
    public function testAFailoverDuringAThirtyTwoProcessLockRaceKeepsFencesIncreasing(): void
    {
        $tag = '2026-12-24:room-1';
        $victim = self::$cluster->masterOf('{' . $tag . '}');
        $this->assertSame(HashSlot::of("race:lk:{{$tag}}:x"), HashSlot::of("{{$tag}}"));
        $race = PhpProcess::start(
            __DIR__ . '/../fixtures/lock-failover-race.php',
            ['8', '32', '3'],
            self::$cluster->childIni() + ['redis_persona.log_level' => 'off']
        );
        usleep(2_500_000);
        $killedAt = hrtime(true);
        self::$cluster->kill($victim);
        $run = PhpProcess::wait($race);
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $children = json_decode($run['stdout'], true);
        $this->assertIsArray($children, $run['stdout']);
        $this->assertNotContains(null, $children, 'a racer died');

        $holds = [];
        $errors = 0;
        foreach ($children as $c => $child) {
            $errors += $child['errors'];
            foreach ($child['holds'] as [$fence, $asked, $got, $wrote, $released]) {
                $holds[] = compact('c', 'fence', 'asked', 'got', 'wrote', 'released');
            }
        }
        $before = count(array_filter($holds, fn ($h) => $h['got'] < $killedAt));
        $after = count(array_filter($holds, fn ($h) => $h['asked'] > $killedAt));
        $this->assertGreaterThan(20, $before, 'holds before the failover');
        $this->assertGreaterThan(20, $after, 'holds after the failover: the race went on on the promoted replica');

        // 1. Fences only go up over time: a hold asked after another was
        //    granted has a larger fence.
        usort($holds, fn ($a, $b) => $a['got'] <=> $b['got']);
        $byAsked = $holds;
        usort($byAsked, fn ($a, $b) => $a['asked'] <=> $b['asked']);
        $highest = -1;
        $i = 0;
        foreach ($byAsked as $hold) {
            while ($i < count($holds) && $holds[$i]['got'] < $hold['asked']) {
                $highest = max($highest, $holds[$i]['fence']);
                $i++;
            }
            $this->assertGreaterThan($highest, $hold['fence'], 'a fence not above one granted earlier: ' . json_encode($hold));
        }

        // 2. Overlaps: a hold granted while another holder had not yet
        //    written (the first lock was lost in the failover).
        $overlaps = 0;
        foreach ($holds as $k => $first) {
            for ($j = $k + 1; $j < count($holds) && $holds[$j]['got'] < $first['wrote']; $j++) {
                $overlaps++;
                $this->assertGreaterThan($first['fence'], $holds[$j]['fence'], 'the later holder of an overlap has the larger fence');
                $this->assertNotTrue($first['released'], 'a holder that was overlapped still found its lock');
            }
        }

        // 3. The booking writes, in the order they happened, against a table
        //    that keeps the slot's highest fence: only the writes of holders
        //    that lost the slot are refused.
        $writes = $holds;
        usort($writes, fn ($a, $b) => $a['wrote'] <=> $b['wrote']);
        $highest = -1;
        $refused = 0;
        foreach ($writes as $write) {
            if ($write['fence'] > $highest) {
                $highest = $write['fence'];
                continue;
            }
            $refused++;
            $this->assertNotTrue($write['released'], 'a booking refused for a holder that kept its lock');
        }
        fwrite(STDERR, sprintf(
            "\n[cluster] lock race across a killed master: %d holds (%d before, %d after), %d errors, %d overlaps, %d bookings refused\n",
            count($holds),
            $before,
            $after,
            $errors,
            $overlaps,
            $refused
        ));
        self::$cluster->restartNode($victim);
        self::$cluster->waitHealthy();
    }
}
