<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Client;
use RedisPersona\ConnectionException;
use RedisPersona\Exception;
use RedisPersona\Otp;
use RedisPersona\RateLimitedException;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;
use RedisPersona\UnavailableException;

final class ExceptionTest extends TestCase
{
    public function testHierarchy(): void
    {
        $this->assertTrue(is_subclass_of(Exception::class, \RuntimeException::class));
        $this->assertTrue(is_subclass_of(ConnectionException::class, Exception::class));
        $this->assertTrue(is_subclass_of(RateLimitedException::class, Exception::class));
        $this->assertTrue(is_subclass_of(UnavailableException::class, ConnectionException::class));
        $this->assertSame('redis_persona', (new \ReflectionClass(ConnectionException::class))->getExtensionName());
    }

    public function testConnectionExceptionCarriesTheCallSite(): void
    {
        $client = new Client('redis://127.0.0.1:' . RedisServer::freePort());
        try {
            $line = __LINE__ + 1;
            $client->ping();
            $this->fail('no exception');
        } catch (ConnectionException $e) {
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
            $frame = $e->getTrace()[0];
            $this->assertSame('ping', $frame['function']);
            $this->assertSame(Client::class, $frame['class']);
            $this->assertSame($line, $frame['line']);
            $this->assertStringContainsString(__FUNCTION__, $e->getTraceAsString());
        }
        // The breaker-open exception, thrown without any I/O, too.
        try {
            $line = __LINE__ + 1;
            $client->get('x');
        } catch (ConnectionException $e) {
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
        }
    }

    /**
     * Makes its own server a read-only replica of another.
     *
     * @group single-server
     */
    public function testUnavailableExceptionCarriesTheCallSiteAndTheCode(): void
    {
        $master = new RedisServer();
        $replica = new RedisServer();
        $replica->admin()->command('REPLICAOF', '127.0.0.1', (string) $master->port);
        $client = new Client($replica->url());
        try {
            $line = __LINE__ + 1;
            $client->set('k', 'v');
            $this->fail('no exception');
        } catch (UnavailableException $e) {
            $this->assertSame('READONLY', $e->getServerCode());
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
            $this->assertSame('set', $e->getTrace()[0]['function']);
        }
        $own = new UnavailableException('made in PHP');
        $this->assertSame('', $own->getServerCode());
        $replica->stop();
        $master->stop();
    }

    public function testValueErrorsNameTheArgumentAndCarryTheCallSite(): void
    {
        try {
            $line = __LINE__ + 1;
            new Client('http://example.org');
            $this->fail('no exception');
        } catch (\ValueError $e) {
            $this->assertStringStartsWith('url: ', $e->getMessage());
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
        }
        try {
            new Client(null, ['pool_size' => 1000]);
            $this->fail('no exception');
        } catch (\ValueError $e) {
            $this->assertSame(
                "options['pool_size']: must be between 1 and 64 (0 for the default), got 1000",
                $e->getMessage()
            );
        }
    }

    public function testRateLimitedExceptionIsUsableFromPhp(): void
    {
        $e = new RateLimitedException('slow down', 7);
        $this->assertSame(0, $e->getRetryAfter());
        $this->assertSame(7, $e->getCode());
        $this->assertSame(__LINE__ - 3, $e->getLine());
        $sub = new class ('x') extends RateLimitedException {
            public function __construct(string $message)
            {
                parent::__construct($message);
                $this->retryAfter = 42;
            }
        };
        $this->assertSame(42, $sub->getRetryAfter());
    }

    /**
     * The extension throws the one object the engine created (src/errors.rs):
     * its call site, its extra property and no earlier exception chained.
     */
    public function testRateLimitedExceptionIsTheEngineMadeObjectWithItsRetryAfter(): void
    {
        $redis = RedisTestCase::topology();
        $otp = new Otp($redis->client(['prefix' => 'exc']), str_repeat('s', 32), ['issue_limit' => 1, 'issue_window' => 60]);
        $otp->issue('a@example.org');
        try {
            $line = __LINE__ + 1;
            $otp->issue('a@example.org');
            $this->fail('no exception');
        } catch (RateLimitedException $e) {
            $this->assertSame(60, $e->getRetryAfter());
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame($line, $e->getLine());
            $this->assertSame('issue', $e->getTrace()[0]['function']);
            $this->assertSame(Otp::class, $e->getTrace()[0]['class']);
            $this->assertNull($e->getPrevious());
            $this->assertSame(0, $e->getCode());
        }
        $redis->release();
    }
}
