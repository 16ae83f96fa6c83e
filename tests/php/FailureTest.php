<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Client;
use RedisPersona\ConnectionException;
use RedisPersona\Tests\Support\RedisServer;

/**
 * Redis refused, hung, killed and restarted: calls fail within their
 * timeouts, fail fast while the breaker is open, and recover by themselves.
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
            ini_set('redis_persona.log_level', 'off');
        }
        $text = (string) file_get_contents($log);
        unlink($log);
        $this->assertMatchesRegularExpression('/redis-persona: circuit breaker opened for 1000 ms after: .*refused/', $text);
    }

    public function testHungServerFailsWithinTheReadTimeout(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url(), ['read_timeout_ms' => 300, 'pool_size' => 1]);
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
}
