<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Http;
use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

final class SlotsTest extends SiteTestCase
{
    private static string $room = '';

    protected function setUp(): void
    {
        parent::setUp();
        self::$room = self::room();
    }

    private static function slot(string $date, string $time = '10:00'): array
    {
        return ['date' => $date, 'time' => $time, 'resource' => self::$room];
    }

    public function testSixteenParallelRequestsForOneSlotGiveExactlyOneLock(): void
    {
        $slot = self::slot(self::day());
        $requests = [];
        for ($i = 0; $i < 16; $i++) {
            $requests[] = [Site::rest_url('redis-persona/v1/slots/lock'), Site::rest_options('POST', $slot + ['owner' => "guest $i"], [
                'headers' => ['X-RP-Test-IP' => self::ip()],
            ])];
        }
        $responses = Http::parallel($requests);
        $statuses = array_count_values(array_column($responses, 'status'));
        ksort($statuses);
        $this->assertSame([201 => 1, 409 => 15], $statuses);
        foreach ($responses as $response) {
            if ($response['status'] === 201) {
                $this->assertMatchesRegularExpression('/^[A-Za-z0-9]{32,34}$/', $response['json']['token']);
                $this->assertIsInt($response['json']['fence']);
                $this->assertGreaterThan(time(), $response['json']['expires_at']);
            } else {
                $this->assertSame('rp_slot_held', $response['json']['code']);
            }
        }
    }

    public function testOnlyTheHolderCanExtendOrRelease(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $slot = self::slot(self::day(), '11:30');
        $lock = Site::rest('POST', 'redis-persona/v1/slots/lock', $slot + ['ttl' => 120], $ip);
        $this->assertSame(201, $lock['status'], $lock['body']);
        $token = $lock['json']['token'];
        $wrong = str_repeat('a', 32);

        $refused = Site::rest('POST', 'redis-persona/v1/slots/extend', $slot + ['token' => $wrong, 'ttl' => 300], $ip);
        $this->assertSame(409, $refused['status']);
        $extended = Site::rest('POST', 'redis-persona/v1/slots/extend', $slot + ['token' => $token, 'ttl' => 300], $ip);
        $this->assertSame(200, $extended['status'], $extended['body']);
        $this->assertTrue($extended['json']['extended']);

        $this->assertSame(409, Site::rest('DELETE', 'redis-persona/v1/slots/lock', $slot + ['token' => $wrong], $ip)['status']);
        $this->assertSame(409, Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, $ip)['status'], 'still held');
        $released = Site::rest('DELETE', 'redis-persona/v1/slots/lock', $slot + ['token' => $token], $ip);
        $this->assertSame(200, $released['status'], $released['body']);
        $again = Site::rest('DELETE', 'redis-persona/v1/slots/lock', $slot + ['token' => $token], $ip);
        $this->assertSame(409, $again['status'], 'released once');
        $this->assertSame(201, Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, $ip)['status'], 'free again');
    }

    public function testTheDayViewHidesOwnersFromThePublic(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $day = self::day();
        foreach (['09:00', '14:00'] as $time) {
            $lock = Site::rest('POST', 'redis-persona/v1/slots/lock', self::slot($day, $time) + ['owner' => 'Ada Lovelace'], $ip);
            $this->assertSame(201, $lock['status'], $lock['body']);
        }
        $public = Site::rest('GET', "redis-persona/v1/slots?date=$day&resource=" . self::$room, null, $ip);
        $this->assertSame(200, $public['status']);
        $this->assertSame(['09:00', '14:00'], array_column($public['json']['locked'], 'time'));
        $this->assertStringNotContainsString('Ada', $public['body']);
        $this->assertArrayNotHasKey('owner', $public['json']['locked'][0]);

        $admin = Site::rest('GET', "redis-persona/v1/slots?date=$day&resource=" . self::$room, null, ['auth' => Site::admin()]);
        $this->assertSame(['Ada Lovelace', 'Ada Lovelace'], array_column($admin['json']['locked'], 'owner'));
    }

    public function testAvailabilityIsLockedUnionBookedAndFollowsBookingChanges(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $day = self::day();
        Site::wp(sprintf("update_option('rp_sandbox_booked', ['%s/%s' => ['16:00', '09:00']]);", $day, self::$room));
        $this->assertSame(201, Site::rest('POST', 'redis-persona/v1/slots/lock', self::slot($day, '12:00'), $ip)['status']);
        $availability = Site::rest('GET', "redis-persona/v1/availability?date=$day&resource=" . self::$room, null, $ip);
        $this->assertSame(200, $availability['status'], $availability['body']);
        $this->assertSame(['12:00'], $availability['json']['locked']);
        $this->assertSame(['09:00', '16:00'], $availability['json']['booked']);
        $this->assertSame(['09:00', '12:00', '16:00'], $availability['json']['unavailable']);

        // Cached for 30 s: a change without the action is not seen yet...
        Site::wp(sprintf("update_option('rp_sandbox_booked', ['%s/%s' => ['17:00']]);", $day, self::$room));
        $cached = Site::rest('GET', "redis-persona/v1/availability?date=$day&resource=" . self::$room, null, $ip);
        $this->assertSame(['09:00', '16:00'], $cached['json']['booked']);
        // ...and is, once the booking system says so.
        Site::wp(sprintf("do_action('redis_persona_booking_changed', '%s', '%s');", $day, self::$room));
        $fresh = Site::rest('GET', "redis-persona/v1/availability?date=$day&resource=" . self::$room, null, $ip);
        $this->assertSame(['17:00'], $fresh['json']['booked']);
        $this->assertSame(['12:00', '17:00'], $fresh['json']['unavailable']);
    }

    public function testHeartbeatReturnsTheWatchedDaysLocks(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $day = self::day();
        $this->assertSame(201, Site::rest('POST', 'redis-persona/v1/slots/lock', self::slot($day, '15:00'), $ip)['status']);
        $beat = Site::get('/wp-admin/admin-ajax.php', [
            'method' => 'POST',
            'headers' => ['Content-Type' => 'application/x-www-form-urlencoded'],
            'body' => http_build_query([
                'action' => 'heartbeat',
                '_nonce' => '',
                'interval' => 15,
                'data' => ['redis_persona_watch' => ['date' => $day, 'resource' => self::$room]],
            ]),
        ]);
        $this->assertSame(200, $beat['status'], $beat['body']);
        $this->assertSame(['date' => $day, 'resource' => self::$room, 'times' => ['15:00']], $beat['json']['redis_persona_locked']);
    }

    public function testLockingIsRateLimitedPerClientWithRetryAfter(): void
    {
        // GCRA: a burst of `limit`, then one every window / limit. A long
        // window (one refill per 6 minutes) keeps the burst exact while the
        // test runs; the hold cap is lifted so that the limit is what stops it.
        Site::wp('update_option("rp_sandbox_rate_limits", ["rest-lock" => [10, 3600]]);');
        try {
            $ip = ['headers' => ['X-RP-Test-IP' => self::ip(), 'X-RP-Test-Max-Holds' => '100']];
            $day = self::day();
            $statuses = [];
            for ($i = 0; $i < 12; $i++) {
                $time = sprintf('%02d:%02d', intdiv($i, 4), ($i % 4) * 15);
                $response = Site::rest('POST', 'redis-persona/v1/slots/lock', self::slot($day, $time), $ip);
                $statuses[] = $response['status'];
            }
            $this->assertSame(array_merge(array_fill(0, 10, 201), [429, 429]), $statuses);
            $this->assertEqualsWithDelta(360, (int) $response['headers']['retry-after'], 5, 'the next cell in window / limit');
            $this->assertSame('rp_rate_limited', $response['json']['code']);
            // Another client is not affected.
            $other_client = ['headers' => ['X-RP-Test-IP' => self::ip()]];
            $other = Site::rest('POST', 'redis-persona/v1/slots/lock', self::slot($day, '23:45'), $other_client);
            $this->assertSame(201, $other['status']);
        } finally {
            Site::wp('delete_option("rp_sandbox_rate_limits");');
        }
    }
}
