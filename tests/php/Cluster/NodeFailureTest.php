<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\RedisCluster;
use RedisPersona\Tests\Support\Resp;

/**
 * The cluster equivalents of FailureTest: a paused master (its slots fail
 * fast once its breaker opens, the other masters' slots keep working) and a
 * killed master (its replica is promoted and the client follows it without
 * a restart). Each test class has its own cluster, as these tests break it.
 *
 * @group cluster
 */
final class NodeFailureTest extends TestCase
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

    /**
     * One key in each master's slots, keyed by the master's port.
     *
     * @return array<int, string>
     */
    private static function keyPerMaster(string $prefix): array
    {
        $keys = [];
        for ($i = 0; count($keys) < 3; $i++) {
            $keys[self::$cluster->masterOf("$prefix:kv:k$i")] ??= "k$i";
        }
        return $keys;
    }

    /** @return array{0: bool, 1: float, 2: string} success, seconds, error */
    private static function timed(callable $call): array
    {
        $t = microtime(true);
        try {
            $call();
            return [true, microtime(true) - $t, ''];
        } catch (\RedisPersona\Exception $e) {
            return [false, microtime(true) - $t, $e->getMessage()];
        }
    }

    public function testAPausedMastersSlotsFailFastWhileTheOtherMastersKeepServing(): void
    {
        // Long enough that the cluster does not replace the paused master:
        // this test is about the client's per-node breaker.
        foreach (self::$cluster->ports as $port) {
            (new Resp($port))->command('CONFIG', 'SET', 'cluster-node-timeout', '30000');
        }
        $client = self::$cluster->client(
            ['prefix' => 'pause', 'read_timeout_ms' => 300, 'probe_timeout_ms' => 150, 'retry_interval_ms' => 1000]
        );
        $keys = self::keyPerMaster('pause');
        foreach ($keys as $key) {
            $this->assertTrue($client->set($key, 'before'));
        }
        $paused = array_key_first($keys);
        $pausedKey = $keys[$paused];
        $others = array_slice($keys, 1, null, true);
        self::$cluster->pause($paused);
        try {
            [$ok, $first, $error] = self::timed(fn () => $client->get($pausedKey));
            $this->assertFalse($ok, 'a paused master answered');
            $this->assertLessThan(1.0, $first, "the first call gave up within its timeouts: $error");
            $fast = 0;
            $until = microtime(true) + 2.0;
            while (microtime(true) < $until) {
                foreach ($others as $key) {
                    [$ok, $took, $error] = self::timed(fn () => $client->set($key, 'during'));
                    $this->assertTrue($ok, "a call to a healthy master failed: $error");
                    $this->assertLessThan(0.2, $took, 'a healthy master was slowed down by the paused one');
                }
                [$ok, $took, $error] = self::timed(fn () => $client->get($pausedKey));
                $this->assertFalse($ok, 'a paused master answered');
                $this->assertLessThan(1.0, $took, $error);
                if ($took < 0.05) {
                    $fast++;
                    $this->assertStringContainsString('circuit breaker', $error);
                }
                usleep(20000);
            }
            $this->assertGreaterThan(10, $fast, 'calls to the paused master failed fast once its breaker opened');
            $states = array_column($client->health()['topology']['nodes'], 'breaker', 'address');
            $this->assertNotSame('closed', $states["127.0.0.1:$paused"]);
            foreach (array_keys($others) as $port) {
                $this->assertSame('closed', $states["127.0.0.1:$port"]);
            }
        } finally {
            self::$cluster->resume($paused);
            foreach (self::$cluster->ports as $port) {
                (new Resp($port))->command('CONFIG', 'SET', 'cluster-node-timeout', '1000');
            }
        }
        $recovered = null;
        $start = microtime(true);
        while (microtime(true) - $start < 5.0) {
            try {
                if ($client->get($pausedKey) === 'before') {
                    $recovered = microtime(true) - $start;
                    break;
                }
            } catch (\RedisPersona\Exception $e) {
                usleep(50000);
            }
        }
        $this->assertNotNull($recovered, 'the resumed master was not used again within 5 s');
        $this->assertSame('during', $client->get($others[array_key_first($others)]));
    }

    public function testAKilledMastersReplicaTakesOverAndTheClientFollowsWithoutARestart(): void
    {
        self::$cluster->waitHealthy();
        $client = self::$cluster->client(['prefix' => 'kill', 'read_timeout_ms' => 300, 'retry_interval_ms' => 200]);
        $keys = self::keyPerMaster('kill');
        foreach ($keys as $key) {
            $this->assertTrue($client->set($key, 'before'));
        }
        $victim = array_key_first($keys);
        $replica = self::$cluster->replicaOf($victim);
        (new Resp($victim))->command('WAIT', '1', '1000');
        $failoversBefore = $client->health()['topology']['failovers'];
        self::$cluster->kill($victim);
        $killedAt = microtime(true);
        $errors = ['victim' => 0, 'others' => 0];
        $lastError = null;
        $calls = 0;
        $until = $killedAt + 10.0;
        $recoveredFor = 0.0;
        while (microtime(true) < $until && $recoveredFor < 2.0) {
            $allOk = true;
            foreach ($keys as $port => $key) {
                $calls++;
                try {
                    $value = "v$calls";
                    $client->set($key, $value);
                    $this->assertSame($value, $client->get($key));
                } catch (\RedisPersona\Exception $e) {
                    $errors[$port === $victim ? 'victim' : 'others']++;
                    $lastError = microtime(true);
                    $allOk = false;
                }
            }
            $recoveredFor = $allOk && $lastError !== null ? microtime(true) - $lastError : 0.0;
            usleep(20000);
        }
        fwrite(STDERR, sprintf(
            "\n[cluster] killed master: %d errors on its slots, %d on the others, recovered %.1f s after the kill\n",
            $errors['victim'],
            $errors['others'],
            ($lastError ?? $killedAt) - $killedAt
        ));
        $this->assertGreaterThanOrEqual(2.0, $recoveredFor, 'the client did not recover within 10 s');
        $this->assertLessThan(8.0, $lastError - $killedAt, 'errors went on for 8 s');
        $this->assertSame(0, $errors['others'], 'a healthy master failed calls');
        $topology = $client->health()['topology'];
        $this->assertGreaterThan($failoversBefore, $topology['failovers']);
        $roles = array_column($topology['nodes'], 'role', 'address');
        $this->assertSame('master', $roles["127.0.0.1:$replica"] ?? null, 'health() names the promoted replica');

        self::$cluster->restartNode($victim);
        $start = microtime(true);
        while (microtime(true) - $start < 15 && self::roleOf($victim) !== 'replica') {
            usleep(100000);
        }
        $this->assertSame('replica', self::roleOf($victim), 'the restarted node rejoins as a replica');
        self::$cluster->waitHealthy();
        foreach ($keys as $key) {
            $this->assertTrue($client->set($key, 'after'));
            $this->assertSame('after', $client->get($key));
        }
    }

    private static function roleOf(int $port): ?string
    {
        foreach (self::$cluster->nodes() as $node) {
            if ($node['port'] === $port && !$node['failed']) {
                return $node['role'];
            }
        }
        return null;
    }
}
