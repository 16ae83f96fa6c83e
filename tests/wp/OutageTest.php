<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Http;
use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Redis stops in the middle of the run and comes back: pages keep their
 * persona content, locks stay exclusive across both switches, and nothing
 * cached before or during the outage is served stale afterwards.
 */
final class OutageTest extends SiteTestCase
{
    protected function setUp(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('needs the extension (the fallback run has no Redis to lose)');
        }
        parent::setUp();
    }

    protected function tearDown(): void
    {
        if (Site::mode() === 'redis') {
            Site::start_redis();
        }
    }

    private static function lock(array $slot, string $ip): array
    {
        // Holds more slots at once than the default cap allows.
        $headers = ['X-RP-Test-IP' => $ip, 'X-RP-Test-Max-Holds' => '10'];
        return Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, ['headers' => $headers]);
    }

    public function testTheSiteKeepsItsGuaranteesThroughAnOutage(): void
    {
        $ip = self::ip();
        $day = self::day();
        $room = self::room();
        $slot = static fn (string $time): array => ['date' => $day, 'time' => $time, 'resource' => $room];
        $created = Site::rest('POST', 'wp/v2/posts', [
            'title' => 'Outage ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => '[persona is="family"]<p class="persona-family">before the outage</p>[/persona]',
        ], ['auth' => Site::admin()]);
        $this->assertSame(201, $created['status'], $created['body']);
        $path = (string) parse_url($created['json']['link'], PHP_URL_PATH);
        $edit = static fn (string $text) => Site::rest('POST', 'wp/v2/posts/' . $created['json']['id'], [
            'content' => '[persona is="family"]<p class="persona-family">' . $text . '</p>[/persona]',
        ], ['auth' => Site::admin()]);

        // Cached in Redis, and a lock held in Redis.
        Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
        $page = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('family; hit', $page['headers']['x-redis-persona']);
        $held_in_redis = self::lock($slot('09:00'), $ip);
        $this->assertSame(201, $held_in_redis['status']);

        Site::stop_redis();

        // Pages: 200, the right variant, served by the fallback.
        foreach (['family', 'business', 'family'] as $persona) {
            $page = Site::get($path, ['cookies' => ['rp_persona' => $persona]]);
            $this->assertSame(200, $page['status']);
            $this->assertSame("$persona; fallback", $page['headers']['x-redis-persona']);
        }
        $this->assertStringContainsString('before the outage', $page['body']);
        $this->assertLessThan(2.0, $page['time'], 'no request waits for Redis once the breaker is open');

        // Locks: the Redis-held lock is still exclusive, and the fallback is exclusive too.
        $this->assertSame(409, self::lock($slot('09:00'), $ip)['status'], 'a lock held in Redis survives the switch');
        $requests = [];
        for ($i = 0; $i < 16; $i++) {
            $options = Site::rest_options('POST', $slot('10:00'), ['headers' => ['X-RP-Test-IP' => self::ip()]]);
            $requests[] = [Site::rest_url('redis-persona/v1/slots/lock'), $options];
        }
        $statuses = array_count_values(array_column(Http::parallel($requests), 'status'));
        ksort($statuses);
        $this->assertSame([201 => 1, 409 => 15], $statuses);
        $fallback_lock = self::lock($slot('11:00'), $ip);
        $this->assertSame(201, $fallback_lock['status'], $fallback_lock['body']);
        $this->assertStringStartsWith('fb', $fallback_lock['json']['token']);

        // An edit during the outage.
        $this->assertSame(200, $edit('edited during the outage')['status']);
        $this->assertStringContainsString('edited during the outage', Site::get($path, ['cookies' => ['rp_persona' => 'family']])['body']);
        $health = Site::rest('GET', 'redis-persona/v1/health');
        $this->assertSame(['status' => 'degraded', 'mode' => 'fallback'], $health['json']);

        Site::start_redis();
        usleep(1200000); // the breaker's retry interval

        // Back on Redis: not the HTML cached before the outage.
        $page = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
        $this->assertMatchesRegularExpression('/^family; (miss|hit)$/', $page['headers']['x-redis-persona']);
        $this->assertStringContainsString('edited during the outage', $page['body']);
        $this->assertStringNotContainsString('before the outage', $page['body']);
        foreach (range(1, 6) as $ignored) {
            $again = Site::get($path, ['cookies' => ['rp_persona' => 'family']]);
            $this->assertStringContainsString('edited during the outage', $again['body'], 'every worker reconciled');
            $this->assertStringNotContainsString('fallback', $again['headers']['x-redis-persona']);
        }

        // Locks taken during the outage are honoured, and only their token releases them.
        $this->assertSame(409, self::lock($slot('11:00'), $ip)['status'], 'a fallback lock is honoured by Redis mode');
        $this->assertSame(409, self::lock($slot('10:00'), $ip)['status']);
        $released = Site::rest(
            'DELETE',
            'redis-persona/v1/slots/lock',
            $slot('11:00') + ['token' => $fallback_lock['json']['token']],
            ['headers' => ['X-RP-Test-IP' => $ip]]
        );
        $this->assertSame(200, $released['status'], $released['body']);
        $this->assertSame(201, self::lock($slot('11:00'), $ip)['status']);
        $this->assertSame(409, self::lock($slot('09:00'), $ip)['status'], 'the Redis lock from before the outage is still held');

        $public = Site::rest('GET', "redis-persona/v1/slots?date=$day&resource=$room", null, ['headers' => ['X-RP-Test-IP' => $ip]]);
        $this->assertSame(['09:00', '10:00', '11:00'], array_column($public['json']['locked'], 'time'));
        $this->assertSame(['status' => 'ok', 'mode' => 'redis'], Site::rest('GET', 'redis-persona/v1/health')['json']);
    }
}
