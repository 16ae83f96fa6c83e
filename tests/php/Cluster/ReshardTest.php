<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\HashSlot;
use RedisPersona\Tests\Support\RedisCluster;
use RedisPersona\Tests\Support\TopologyLoad;

/**
 * Slots move between masters while forked processes read and write the keys
 * in them through the extension (Client get/set, PersonaCache get/set,
 * SlotLock acquire/release): every answer is checked, and ASK and MOVED are
 * followed without a wrong answer or an error.
 *
 * @group cluster
 */
final class ReshardTest extends TestCase
{
    private const CHILDREN = 4;

    public function testSlotsInUseMigrateUnderLoadWithoutAWrongAnswer(): void
    {
        $cluster = new RedisCluster();
        try {
            // The slots the load's keys live in (see fixtures/cluster-load.php):
            // its Client keys, PersonaCache's 16 buckets and each child's slot lock.
            $slots = [];
            for ($c = 0; $c < self::CHILDREN; $c++) {
                for ($k = 0; $k < 64; $k++) {
                    $slots[] = HashSlot::of("load:kv:c$c-k$k");
                }
                $slots[] = HashSlot::of("{2026-12-24:child-$c}");
            }
            for ($b = 0; $b < 16; $b++) {
                $slots[] = HashSlot::of(sprintf('{b%02d}', $b));
            }
            $slots = array_values(array_unique($slots));
            $load = new TopologyLoad($cluster->childIni(), 9.0, self::CHILDREN, 'kv,persona,lock');
            usleep(1_000_000);
            $masters = $cluster->masters();
            $moves = 0;
            $keys = 0;
            // Each slot in turn to the next master, round after round,
            // until shortly before the load ends.
            for ($round = 1; microtime(true) < $load->startedAt + 7.5; $round++) {
                foreach ($slots as $i => $slot) {
                    if (microtime(true) > $load->startedAt + 7.5) {
                        break;
                    }
                    $keys += $cluster->migrateSlots([$slot => $masters[($i + $round) % 3]]);
                    $moves++;
                }
            }
            $result = $load->finish();
        } finally {
            $cluster->stop();
        }
        fwrite(STDERR, sprintf(
            "\n[cluster] resharding: %d slot moves carrying %d keys under %d checked calls (%d errors; masters disagreed %d times)\n",
            $moves,
            $keys,
            $result['total']['ops'],
            $result['total']['errors'],
            count($cluster->masterDisagreements)
        ));
        $this->assertGreaterThan(100, $moves, 'slots in use moved');
        $this->assertGreaterThan(50, $keys, 'the moved slots held keys in use');
        $total = $result['total'];
        $this->assertGreaterThan(1000, $total['ops'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['wrong'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['stale'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['unexpected'], TopologyLoad::describe($result));
        $this->assertSame(0, $total['lost_locks'], TopologyLoad::describe($result));
        // A migration is not an outage: a call may fail only while the
        // masters themselves contradicted each other about a slot (a MOVED
        // loop no client can resolve; the helper then repairs the cluster).
        $outside = 0;
        foreach (array_merge(...array_column($result['children'], 'error_times')) as $at) {
            $during = false;
            foreach ($cluster->masterDisagreements as [$from, $to]) {
                $during = $during || ($at >= $from - 0.5 && $at <= $to + 0.5);
            }
            $outside += $during ? 0 : 1;
        }
        $this->assertSame(0, $outside, 'errors while the cluster was consistent: ' . TopologyLoad::describe($result));
        foreach ($result['children'] as $child) {
            $this->assertGreaterThan(0, $child['topology']['refreshes'] ?? 0, 'a MOVED refreshed the slot map');
        }
    }
}
