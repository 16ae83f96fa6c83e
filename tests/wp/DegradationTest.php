<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Replies that mean "Redis cannot serve this" (READONLY after a bad
 * failover, OOM at maxmemory) degrade like an outage: saving posts, public
 * routes and pages keep working on the fallback, nothing throws out of a
 * hook, and the invalidations made meanwhile are replayed. An outage moves a
 * request to the fallback from its first failure.
 */
final class DegradationTest extends SiteTestCase
{
    protected function setUp(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('needs the extension and its Redis');
        }
        parent::setUp();
    }

    protected function tearDown(): void
    {
        if (Site::mode() === 'redis') {
            Site::start_redis();
            Site::accept_writes();
            // The next request finds Redis again and replays what the fallback recorded.
            usleep(1100000);
            Site::get('/');
        }
    }

    /** @return iterable<string, array{0: string}> */
    public static function refusals(): iterable
    {
        // One server: a replica of a master that is not there refuses every
        // write with READONLY. A cluster node cannot be made a replica of
        // nothing: every master's user loses the write commands (NOPERM).
        yield Site::topology() === 'cluster' ? 'NOPERM' : 'READONLY' => [Site::refuse_writes_command()];
        // maxmemory below what is used, noeviction: every write is refused with OOM (on every master).
        yield 'OOM' => ['CONFIG SET maxmemory 1'];
    }

    /** @dataProvider refusals */
    public function testRefusedWritesDegradeToTheFallback(string $command): void
    {
        $created = Site::rest('POST', 'wp/v2/posts', [
            'title' => 'Degrade ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => '<p class="persona-family">before</p>',
        ], ['auth' => Site::admin()]);
        $this->assertSame(201, $created['status'], $created['body']);
        $path = (string) parse_url($created['json']['link'], PHP_URL_PATH);
        Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('family; hit', Site::get($path, ['cookies' => ['rp_persona' => 'family']])['headers']['x-redis-persona']);

        $refused = Site::redis_masters($command);
        $this->assertSame(count(Site::master_ports()), substr_count($refused, 'OK'), $refused);
        $edited = Site::rest('POST', 'wp/v2/posts/' . $created['json']['id'], [
            'content' => '<p class="persona-family">after</p>',
        ], ['auth' => Site::admin()]);
        $this->assertSame(200, $edited['status'], 'saving a post never fails on Redis: ' . $edited['body']);
        $page = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame(200, $page['status']);
        $this->assertStringContainsString('after', $page['body']);

        $slot = ['date' => self::day(), 'time' => '10:00', 'resource' => self::room()];
        $lock = Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, ['headers' => ['X-RP-Test-IP' => self::ip()]]);
        $this->assertSame(201, $lock['status'], 'public routes work on the fallback: ' . $lock['body']);
        $this->assertStringStartsWith('fb', $lock['json']['token']);
        $availability = Site::rest('GET', "redis-persona/v1/availability?date={$slot['date']}&resource={$slot['resource']}", null, [
            'headers' => ['X-RP-Test-IP' => self::ip()],
        ]);
        $this->assertSame(200, $availability['status'], $availability['body']);
        $this->assertSame(['10:00'], $availability['json']['locked']);
        $this->assertSame('degraded', Site::rest('GET', 'redis-persona/v1/health')['json']['status']);

        // Redis serves again: the edit made meanwhile was replayed, the old HTML is gone.
        Site::accept_writes();
        usleep(1100000);
        for ($i = 0; $i < 3; $i++) {
            $page = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
            $this->assertStringContainsString('after', $page['body'], "view $i after recovery");
            $this->assertStringNotContainsString('before', $page['body'], "view $i after recovery");
        }
    }

    public function testAnOutageMovesARequestToTheFallbackFromItsFirstFailure(): void
    {
        $post = Site::rest('POST', 'wp/v2/posts', [
            'title' => 'First failure ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => '<p class="persona-family">x</p>',
        ], ['auth' => Site::admin()]);
        $path = (string) parse_url($post['json']['link'], PHP_URL_PATH);
        // Every worker has just seen Redis answer: none will ask again before using it.
        $warm = [];
        for ($i = 0; $i < 8; $i++) {
            $warm[] = [Site::url($path), ['cookies' => ['rp_persona' => 'family']]];
        }
        \RedisPersona\WpTests\Support\Http::parallel($warm);
        Site::stop_redis();
        $statuses = [];
        for ($i = 0; $i < 8; $i++) {
            $page = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
            $this->assertSame(200, $page['status']);
            $statuses[] = $page['headers']['x-redis-persona'];
        }
        $this->assertSame(array_fill(0, 8, 'family; fallback'), $statuses, 'never a bypass that renders uncached');
    }
}
