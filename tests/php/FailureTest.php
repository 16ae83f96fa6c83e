<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Client;
use RedisPersona\ConnectionException;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\UnavailableException;

/**
 * Redis refused, hung, killed and restarted: calls fail within their
 * timeouts, fail fast while the breaker is open, and recover by themselves.
 * Each test controls its own server's process, so the cluster pass skips
 * this class; tests/php/Cluster/ has the cluster equivalents.
 *
 * @group single-server
 */
final class FailureTest extends TestCase
{
    public function testRefusedConnectionThenFastFailuresWhileTheBreakerIsOpen(): void
    {
        $port = RedisServer::freePort();
        $client = new Client("redis://127.0.0.1:$port", ['retry_interval_ms' => 400]);
        try {
            $client->ping();
            $this->fail('ping to a closed port succeeded');
        } catch (ConnectionException $e) {
            $this->assertStringContainsString('connection refused', $e->getMessage());
        }
        $times = [];
        for ($i = 0; $i < 201; $i++) {
            $start = hrtime(true);
            try {
                $client->get('k');
            } catch (ConnectionException $e) {
                $this->assertStringContainsString('circuit breaker open', $e->getMessage());
            }
            $times[] = hrtime(true) - $start;
        }
        sort($times);
        $this->assertLessThan(1_000_000, $times[100], 'median fail-fast call took over 1 ms');
        $this->assertFalse($client->isAvailable());
        $this->assertSame('open', $client->health()['breaker']['state']);

        // Redis comes up; after the retry interval one probe closes the breaker.
        $redis = new RedisServer($port);
        usleep(450_000);
        $this->assertTrue($client->isAvailable());
        $this->assertTrue($client->set('k', 'v'));
        $redis->stop();
    }

    public function testBreakerEventsGoToThePhpErrorLog(): void
    {
        $log = tempnam(sys_get_temp_dir(), 'rp-log');
        ini_set('error_log', $log);
        ini_set('redis_persona.log_level', 'warning');
        try {
            $client = new Client('redis://127.0.0.1:' . RedisServer::freePort());
            $this->assertFalse($client->isAvailable());
        } finally {
            ini_restore('error_log');
            // Restored, not set: a test running after this one (PHPUnit runs
            // earlier failures first) must find the setting as it was.
            ini_restore('redis_persona.log_level');
        }
        $text = (string) file_get_contents($log);
        unlink($log);
        $this->assertMatchesRegularExpression('/redis-persona: circuit breaker opened for 1000 ms after: .*refused/', $text);
    }

    public function testHungServerFailsWithinTheReadTimeout(): void
    {
        $redis = new RedisServer();
        // Twice the probe timeout is not below the read timeout: no stall
        // verdict comes first, the read timeout decides.
        $client = new Client($redis->url(), ['read_timeout_ms' => 300, 'probe_timeout_ms' => 150, 'pool_size' => 1]);
        $client->ping();
        $redis->pause();
        $start = microtime(true);
        try {
            $client->get('k');
            $this->fail('a read from a stopped server succeeded');
        } catch (ConnectionException $e) {
            $took = microtime(true) - $start;
            $this->assertStringContainsString('timed out', $e->getMessage());
            $this->assertGreaterThanOrEqual(0.25, $took);
            $this->assertLessThan(0.9, $took, 'the read timeout was not honoured');
        } finally {
            $redis->resume();
        }
        $redis->stop();
    }

    public function testAFrozenServerIsGivenUpAfterTwiceTheProbeTimeoutNotTheReadTimeout(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url(), ['read_timeout_ms' => 3000, 'probe_timeout_ms' => 100, 'pool_size' => 1]);
        $client->set('k', 'v');
        $redis->pause();
        $start = microtime(true);
        try {
            $client->get('k');
            $this->fail('a read from a stopped server succeeded');
        } catch (ConnectionException $e) {
            $took = microtime(true) - $start;
            $this->assertStringContainsString('timed out', $e->getMessage());
            $this->assertStringContainsString('answered nobody on this machine for 200 ms', $e->getMessage());
            $this->assertGreaterThanOrEqual(0.19, $took, 'given up before twice the probe timeout');
            $this->assertLessThan(1.0, $took, 'the frozen server cost the read timeout');
            $this->assertFalse($client->isAvailable(), 'the stall opened the breaker');
        } finally {
            $redis->resume();
        }
        $redis->stop();
    }

    public function testAFrozenServerCostsEveryProcessInACallTwiceTheProbeTimeout(): void
    {
        $redis = new RedisServer();
        $redis->pause();
        try {
            // Four processes call at once with a 3 s read timeout: each gives
            // up on its own silent call, or when it sees the breaker another
            // one opened, long before the read timeout.
            $results = $this->frozenCalls($redis, 4, 0, 3000, 5000, 100);
        } finally {
            $redis->resume();
        }
        foreach ($results as $result) {
            [[$took, $outcome]] = $result['calls'];
            $this->assertLessThan(1000, $took, "a call took $took ms: $outcome");
            $this->assertMatchesRegularExpression('/answered nobody|circuit breaker/', $outcome);
        }
        $this->assertSame(1, max(array_map(fn ($r) => $r['breaker']['times_opened_shared'], $results)));
        $redis->stop();
    }

    public function testAPipelineToAHungServerFailsWithinOneReadTimeout(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url(), ['read_timeout_ms' => 300, 'probe_timeout_ms' => 150, 'pool_size' => 1]);
        $cache = new \RedisPersona\PersonaCache($client);
        $cache->warm(1, ['a' => '<p>a</p>', 'b' => '<p>b</p>']);
        $this->assertSame(['a', 'b'], $cache->cachedPersonas(1));
        $redis->pause();
        $start = microtime(true);
        try {
            // One pipeline (GET + HGETALL): each of its replies used to wait
            // a full read timeout.
            $cache->cachedPersonas(1);
            $this->fail('a pipeline to a stopped server succeeded');
        } catch (ConnectionException $e) {
            $took = microtime(true) - $start;
            $this->assertStringContainsString('timed out', $e->getMessage());
            $this->assertLessThan(0.4, $took, 'the pipeline waited a read timeout per reply');
        } finally {
            $redis->resume();
        }
        $redis->stop();
    }

    public function testKilledServerThenRestartedRecoversAutomatically(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url(), ['retry_interval_ms' => 200]);
        $client->set('before', '1');
        $redis->stop();
        $failures = 0;
        for ($i = 0; $i < 3; $i++) {
            try {
                $client->get('before');
            } catch (ConnectionException $e) {
                $failures++;
            }
        }
        $this->assertSame(3, $failures);
        $this->assertFalse($client->isAvailable());
        $redis->start();
        usleep(250_000);
        $this->assertTrue($client->set('after', '2'));
        $this->assertSame('2', $client->get('after'));
        $this->assertSame('closed', $client->health()['breaker']['state']);
        $redis->stop();
    }

    public function testADroppedConnectionIsReplacedWithoutTheCallerNoticing(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url());
        $client->ping();
        $redis->restart();
        // The pooled connection died with the old server; reads retry once.
        $this->assertNull($client->get('k'));
        $this->assertGreaterThanOrEqual(1, $client->health()['pool']['connections_discarded']);
        // A write on a dead connection costs at most one error, then works.
        $redis->restart();
        try {
            $client->set('k', 'v');
        } catch (ConnectionException $e) {
            $this->assertStringContainsString('dropped', $e->getMessage());
        }
        $this->assertTrue($client->set('k', 'v'));
        $redis->stop();
    }

    /**
     * Calls $call, which must throw UnavailableException with $code, and
     * returns it.
     *
     * @param callable(): mixed $call
     */
    private function refusal(string $code, callable $call): UnavailableException
    {
        try {
            $call();
        } catch (UnavailableException $e) {
            $this->assertSame($code, $e->getServerCode(), $e->getMessage());
            $this->assertStringContainsString($code, $e->getMessage());
            $this->assertInstanceOf(ConnectionException::class, $e, 'falls back like an outage');
            return $e;
        }
        $this->fail("no $code refusal");
    }

    public function testWriteRefusalsDegradeLikeAnOutageButReadsKeepWorking(): void
    {
        $master = new RedisServer();
        $replica = new RedisServer();
        $replica->admin()->command('REPLICAOF', '127.0.0.1', (string) $master->port);
        $client = new Client($replica->url());
        $this->refusal('READONLY', fn () => $client->set('k', 'v'));
        // READONLY refuses writes only: the breaker stays closed, reads work.
        $this->assertNull($client->get('k'));
        $this->assertSame('closed', $client->health()['breaker']['state']);
        $this->assertTrue($client->isAvailable());

        $admin = $master->admin();
        $admin->command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        $admin->command('CONFIG', 'SET', 'maxmemory', '1');
        $full = new Client($master->url());
        $this->refusal('OOM', fn () => $full->set('k', 'v'));
        $this->assertNull($full->get('k'));
        $this->assertSame('closed', $full->health()['breaker']['state']);
        $admin->command('CONFIG', 'SET', 'maxmemory', '0');
        $this->assertTrue($full->set('k', 'v'));

        $admin->command('ACL', 'SETUSER', 'reader', 'on', '>secret', '~*', '&*', '+@all', '-set');
        $reader = new Client("redis://reader:secret@127.0.0.1:{$master->port}");
        $this->refusal('NOPERM', fn () => $reader->set('k', 'v'));
        $this->assertSame('v', $reader->get('k'));
        $this->assertSame('closed', $reader->health()['breaker']['state']);
        $replica->stop();
        $master->stop();
    }

    public function testMisconfWhenTheServerCannotPersist(): void
    {
        $redis = new RedisServer();
        $admin = $redis->admin();
        $dir = $admin->command('CONFIG', 'GET', 'dir')[1];
        // Writes stop after a failed snapshot only when snapshots are configured.
        $admin->command('CONFIG', 'SET', 'save', '3600 1');
        $admin->command('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes');
        $client = new Client($redis->url());
        $client->set('k', 'v');
        // The server's working directory vanishes: its next snapshot fails.
        array_map('unlink', glob("$dir/*") ?: []);
        rmdir($dir);
        $admin->command('BGSAVE');
        $deadline = microtime(true) + 5;
        while ($redis->admin()->infoField('persistence', 'rdb_last_bgsave_status') !== 'err') {
            $this->assertLessThan($deadline, microtime(true), 'BGSAVE did not fail');
            usleep(20_000);
        }
        $this->refusal('MISCONF', fn () => $client->set('k', 'w'));
        $this->assertSame('v', $client->get('k'), 'reads still work');
        $redis->stop();
    }

    public function testTotalRefusalsOpenTheBreaker(): void
    {
        $redis = new RedisServer();
        $redis->admin()->command('CONFIG', 'SET', 'requirepass', 'now-required');
        // A fresh pool (its own read timeout) connects after the password was set.
        $client = new Client($redis->url(), ['read_timeout_ms' => 501]);
        $this->refusal('NOAUTH', fn () => $client->get('k'));
        $this->assertSame('open', $client->health()['breaker']['state']);
        try {
            $client->get('k');
            $this->fail('no fail-fast');
        } catch (ConnectionException $e) {
            $this->assertStringContainsString('circuit breaker open', $e->getMessage());
            $this->assertStringContainsString('NOAUTH', $e->getMessage());
        }

        $replica = new RedisServer();
        $admin = $replica->admin();
        $admin->command('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
        $admin->command('REPLICAOF', '127.0.0.1', (string) RedisServer::freePort());
        $stale = new Client($replica->url());
        $this->refusal('MASTERDOWN', fn () => $stale->get('k'));
        $this->assertFalse($stale->isAvailable());
        $replica->stop();
        $redis->stop();
    }

    /**
     * Runs fixtures/frozen-calls.php in $processes processes at once.
     *
     * @return list<array{pid: int, calls: list<array{0: float, 1: string}>, breaker: array<string, mixed>}>
     */
    private function frozenCalls(RedisServer $redis, int $processes, float $seconds, int $readMs, int $retryMs, int $probeMs = 0): array
    {
        $script = __DIR__ . '/fixtures/frozen-calls.php';
        $args = [$redis->url(), (string) $seconds, (string) $readMs, (string) $retryMs, (string) $probeMs];
        $handles = [];
        for ($i = 0; $i < $processes; $i++) {
            $handles[] = PhpProcess::start($script, $args, ['redis_persona.log_level' => 'off']);
        }
        $results = [];
        foreach ($handles as $handle) {
            $run = PhpProcess::wait($handle);
            $this->assertSame(0, $run['exit'], $run['stderr']);
            $results[] = json_decode($run['stdout'], true, 512, JSON_THROW_ON_ERROR);
        }
        return $results;
    }

    public function testOneProcessSeesTheOutageAndTheOthersFailFast(): void
    {
        $redis = new RedisServer();
        $redis->pause();
        try {
            // The first process pays the read timeout and opens the breaker
            // (no stall verdict: twice the probe timeout is the read timeout)...
            [$first] = $this->frozenCalls($redis, 1, 0, 300, 5000, 150);
            [$took, $outcome] = $first['calls'][0];
            $this->assertGreaterThanOrEqual(250, $took);
            $this->assertStringContainsString('timed out', $outcome);
            // ...and a process that never talked to the server fails fast.
            [$second] = $this->frozenCalls($redis, 1, 0, 300, 5000, 150);
            [$took, $outcome] = $second['calls'][0];
            $this->assertNotSame($first['pid'], $second['pid']);
            $this->assertLessThan(5.0, $took, 'the second process paid for the outage again');
            $this->assertStringContainsString('circuit breaker open', $outcome);
            $this->assertStringContainsString("process {$first['pid']} found it unavailable", $outcome);
            $breaker = $second['breaker'];
            $this->assertSame('open', $breaker['state']);
            $this->assertSame($first['pid'], $breaker['failed_pid']);
            $this->assertSame(0, $breaker['times_opened'], 'opened by the other process');
            $this->assertGreaterThanOrEqual(1, $breaker['times_opened_shared']);
            $file = '/dev/shm/redis-persona-' . posix_geteuid() . "-Tcp-127.0.0.1-{$redis->port}-";
            $this->assertStringStartsWith($file, (string) $breaker['shared']);
            // This process sees it too, in health() and phpinfo().
            $client = new Client($redis->url(), ['read_timeout_ms' => 300, 'retry_interval_ms' => 5000]);
            $this->assertFalse($client->isAvailable());
            $this->assertSame($breaker['shared'], $client->health()['breaker']['shared']);
            ob_start();
            (new \ReflectionExtension('redis_persona'))->info();
            $info = (string) ob_get_clean();
            $this->assertStringContainsString('shared by this user\'s processes through ' . $breaker['shared'], $info);
        } finally {
            $redis->resume();
        }
        $redis->stop();
    }

    public function testAFrozenServerCostsEachCallAtMostTheReadTimeout(): void
    {
        $redis = new RedisServer();
        $redis->pause();
        try {
            $results = $this->frozenCalls($redis, 4, 2.5, 300, 200, 150);
        } finally {
            $redis->resume();
        }
        $slow = 0;
        $probes = 0;
        $calls = 0;
        foreach ($results as $result) {
            foreach ($result['calls'] as [$took, $outcome]) {
                $calls++;
                $this->assertLessThan(400, $took, "a call took $took ms: $outcome");
                $this->assertStringContainsString('ConnectionException', $outcome);
                if ($took >= 250) {
                    $slow++;
                } elseif ($took >= 50) {
                    $this->assertStringContainsString('probe of', $outcome);
                    $probes++;
                }
            }
        }
        $this->assertGreaterThan(400, $calls);
        // Only calls already under way when the breaker opened pay the read
        // timeout; afterwards one short probe at a time runs on the machine,
        // ever less often (200, 400, 800, 1600 ms apart).
        $this->assertLessThanOrEqual(4, $slow);
        $this->assertGreaterThanOrEqual(1, $probes);
        $this->assertLessThanOrEqual(5, $probes);
        $interval = max(array_map(fn ($r) => $r['breaker']['retry_interval_ms'], $results));
        $this->assertGreaterThanOrEqual(800, $interval, 'the retry interval did not back off');
        // Redis is back: one probe closes the breaker for everyone, and the
        // interval starts again from the configured one.
        $client = new Client($redis->url(), ['read_timeout_ms' => 300, 'retry_interval_ms' => 200]);
        $deadline = microtime(true) + 5;
        while (!$client->isAvailable()) {
            $this->assertLessThan($deadline, microtime(true), 'the breaker never closed');
            usleep(50_000);
        }
        $this->assertSame('closed', $client->health()['breaker']['state']);
        $this->assertSame(200, $client->health()['breaker']['retry_interval_ms']);
        $redis->stop();
    }
}
