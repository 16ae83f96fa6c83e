<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\HashSlot;
use RedisPersona\Tests\Support\RedisCluster;

/**
 * What Client::health() says about a cluster, and that pools open lazily,
 * per node, bounded by pool_size.
 *
 * @group cluster
 */
final class ClusterTopologyTest extends TestCase
{
    public function testHealthListsTheSixNodesWithRolesAndSlotRanges(): void
    {
        $cluster = RedisCluster::shared();
        // Redis 7.0's CLUSTER SLOTS leaves out replicas that have replicated
        // nothing yet (offset 0): write, and wait until every node lists them.
        $cluster->flush();
        $cluster->awaitReplicasListed();
        // connect_timeout_ms 1238: a fresh pool, whose slot map is read now.
        $client = $cluster->client(['prefix' => 'topo', 'connect_timeout_ms' => 1238]);
        $this->assertTrue($client->set('k', 'v'));
        $health = $client->health();
        $this->assertSame('ok', $health['status']);
        $topology = $health['topology'];
        $this->assertSame('cluster', $topology['mode']);
        $this->assertFalse($topology['read_from_replicas']);
        $this->assertIsInt($topology['failovers']);
        $this->assertIsInt($topology['refreshes']);
        $this->assertGreaterThanOrEqual(1, $topology['refreshes'], 'the slot map was read at least once');

        $expected = [];
        foreach ($cluster->nodes() as $node) {
            $expected["127.0.0.1:{$node['port']}"] = [$node['role'], implode(',', $node['slots'])];
        }
        $seen = [];
        foreach ($topology['nodes'] as $node) {
            $this->assertSame(['address', 'role', 'slots', 'breaker', 'connections'], array_keys($node));
            $this->assertSame('closed', $node['breaker'], $node['address']);
            $this->assertIsInt($node['connections']);
            $seen[$node['address']] = [$node['role'], $node['slots']];
        }
        ksort($expected);
        ksort($seen);
        $this->assertSame($expected, $seen, 'health() lists what CLUSTER NODES says');
        $this->assertCount(6, $seen);
        $this->assertCount(3, array_filter($seen, fn ($n) => $n[0] === 'master'));
        $this->assertContains($topology['answered_by'], array_keys(array_filter($seen, fn ($n) => $n[0] === 'master')));

        $replicas = $cluster->client(['prefix' => 'topo', 'read_from_replicas' => true]);
        $this->assertTrue($replicas->health()['topology']['read_from_replicas']);
    }

    public function testPoolsOpenLazilyToTheNodesUsedAndAtMostPoolSizeEach(): void
    {
        $cluster = RedisCluster::shared();
        // connect_timeout_ms 1237: settings no other test uses, so a fresh pool.
        $client = $cluster->client(['prefix' => 'lazy', 'pool_size' => 2, 'connect_timeout_ms' => 1237]);
        $key = 'only';
        $client->set($key, 'v');
        $topology = $client->health()['topology'];
        // The key's master, and the node the slot map was read from (and
        // health() asked): no other node has a connection.
        $used = ['127.0.0.1:' . $cluster->masterOf("lazy:kv:$key"), $topology['answered_by']];
        $idle = 0;
        foreach ($topology['nodes'] as $node) {
            if (in_array($node['address'], $used, true)) {
                $this->assertSame(1, $node['connections'], "connections to {$node['address']} after one key");
            } else {
                $this->assertSame(0, $node['connections'], "connections to {$node['address']} after one key");
                $idle += $node['role'] === 'master' ? 1 : 0;
            }
        }
        $this->assertGreaterThanOrEqual(1, $idle, 'a master this process never used has no connection');
        // Keys in every master's slots.
        for ($i = 0; $i < 300; $i++) {
            $client->set("k$i", (string) $i);
            $this->assertSame((string) $i, $client->get("k$i"));
        }
        $slots = array_map(fn ($i) => HashSlot::of("lazy:kv:k$i"), range(0, 299));
        $this->assertGreaterThan(3000, max($slots) - min($slots), 'the keys spread over the masters');
        foreach ($client->health()['topology']['nodes'] as $node) {
            $this->assertLessThanOrEqual(2, $node['connections'], $node['address']);
            if ($node['role'] === 'master') {
                $this->assertGreaterThanOrEqual(1, $node['connections'], $node['address']);
            } else {
                $this->assertSame(0, $node['connections'], "{$node['address']}: replicas are not read by default");
            }
        }
    }
}
