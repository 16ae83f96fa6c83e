<?php

namespace RedisPersona\Tests\Sentinel;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\RedisSentinel;
use RedisPersona\Tests\Support\Resp;
use RedisPersona\Tests\Support\TopologyLoad;

/**
 * Sentinel: 1 master, 2 replicas, 3 sentinels (scripts/redis-sentinel.sh).
 * The client finds the master through the sentinels, and when the master is
 * killed under load it follows the promoted replica by itself.
 *
 * @group sentinel
 */
final class SentinelTest extends TestCase
{
    public function testAKilledMasterUnderLoadIsFollowedWithoutARestart(): void
    {
        $sentinel = new RedisSentinel();
        try {
            $client = $sentinel->client(['prefix' => 'sent', 'read_timeout_ms' => 300, 'retry_interval_ms' => 200]);
            $this->assertTrue($client->set('greeting', 'hello'));
            $this->assertSame('hello', $client->get('greeting'));
            $master = $sentinel->masterPort();
            $this->assertSame($sentinel->ports[0], $master);
            $topology = $client->health()['topology'];
            $this->assertSame('sentinel', $topology['mode']);
            $this->assertSame(RedisSentinel::SERVICE, $topology['service']);
            $this->assertSame("127.0.0.1:$master", $topology['answered_by']);
            $roles = array_column($topology['nodes'], 'role', 'address');
            $this->assertSame('master', $roles["127.0.0.1:$master"] ?? null, json_encode($topology));
            $failoversBefore = $topology['failovers'];
            (new Resp($master))->command('WAIT', '2', '1000');

            $load = new TopologyLoad($sentinel->childIni(), 14.0, 2, 'kv,persona,lock', 300);
            usleep(2_000_000);
            $sentinel->kill($master);
            $killedAt = microtime(true);
            // This process keeps calling too, so its own client sees the failover.
            $lastError = null;
            $ok = 0;
            while (microtime(true) - $killedAt < 12.0 && !($ok > 20 && $lastError !== null && microtime(true) - $lastError > 1.0)) {
                try {
                    $client->set('parent', (string) $ok);
                    $this->assertSame((string) $ok, $client->get('parent'));
                    $ok++;
                } catch (\RedisPersona\Exception $e) {
                    $lastError = microtime(true);
                    $ok = 0;
                }
                usleep(50000);
            }
            $result = $load->finish();
            $newMaster = $sentinel->masterPort();
            $total = $result['total'];
            fwrite(STDERR, sprintf(
                "\n[sentinel] killed master under load: %d checked calls, %d errors (%d lost writes), errors until %.2f s after the kill\n",
                $total['ops'],
                $total['errors'],
                $total['stale'],
                ($result['last_error'] ?? $killedAt) - $killedAt
            ));
            $this->assertNotSame($master, $newMaster, 'the sentinels promoted a replica');
            $this->assertSame(0, $total['wrong'], TopologyLoad::describe($result));
            $this->assertSame(0, $total['unexpected'], TopologyLoad::describe($result));
            $this->assertNotNull($lastError, 'the killed master cost no call?');
            $this->assertLessThan(10.0, $lastError - $killedAt, 'this process recovered within 10 s');
            if ($result['last_error'] !== null) {
                $this->assertLessThan(10.0, $result['last_error'] - $killedAt, 'the load recovered: ' . TopologyLoad::describe($result));
            }
            foreach ($result['children'] as $child) {
                $this->assertGreaterThan($child['last_error'] ?? 0, $child['last_ok'], 'every process works again');
            }

            $this->assertTrue($client->set('after', 'written after the failover'));
            $this->assertSame('written after the failover', $client->get('after'));
            $topology = $client->health()['topology'];
            $this->assertSame("127.0.0.1:$newMaster", $topology['answered_by']);
            $roles = array_column($topology['nodes'], 'role', 'address');
            $this->assertSame('master', $roles["127.0.0.1:$newMaster"] ?? null, json_encode($topology));
            $this->assertGreaterThanOrEqual($failoversBefore + 1, $topology['failovers']);

            // The old master comes back as a replica of the new one.
            $sentinel->restartNode($master);
            $start = microtime(true);
            while (microtime(true) - $start < 15 && (new Resp($master))->infoField('replication', 'role') !== 'slave') {
                usleep(200000);
            }
            $this->assertSame('slave', (new Resp($master))->infoField('replication', 'role'));
            $this->assertSame('written after the failover', $client->get('after'));
        } finally {
            $sentinel->stop();
        }
    }
}
