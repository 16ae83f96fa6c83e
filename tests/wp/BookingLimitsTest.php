<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Booking cannot be hoarded, fences only go up, and limits hold: hold caps
 * per client address (IPv6 by /64), a capped hold time, a bookable window,
 * trusted proxies, a rate-limited heartbeat, and garbage that never
 * outgrows what is written.
 */
final class BookingLimitsTest extends SiteTestCase
{
    private static function lock(array $slot, array $headers): array
    {
        return Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, ['headers' => $headers]);
    }

    private static function unlock(array $slot, string $token, array $headers): array
    {
        return Site::rest('DELETE', 'redis-persona/v1/slots/lock', $slot + ['token' => $token], ['headers' => $headers]);
    }

    /** @param array<string, array{0: int, 1: int}> $limits */
    private static function with_limits(array $limits, callable $test): void
    {
        Site::wp(sprintf('update_option("rp_sandbox_rate_limits", json_decode(%s, true));', var_export(json_encode($limits), true)));
        try {
            $test();
        } finally {
            Site::wp('delete_option("rp_sandbox_rate_limits");');
        }
    }

    public function testOneAddressHoldsAtMostThreeSlotsAtOnce(): void
    {
        $day = self::day();
        $room = self::room();
        $ip = ['X-RP-Test-IP' => self::ip()];
        $tokens = [];
        foreach (['09:00', '10:00', '11:00'] as $time) {
            $lock = self::lock(['date' => $day, 'time' => $time, 'resource' => $room], $ip);
            $this->assertSame(201, $lock['status'], $lock['body']);
            $tokens[$time] = $lock['json']['token'];
        }
        $fourth = self::lock(['date' => $day, 'time' => '12:00', 'resource' => $room], $ip);
        $this->assertSame(429, $fourth['status'], $fourth['body']);
        $this->assertSame('rp_too_many_holds', $fourth['json']['code']);
        $this->assertGreaterThanOrEqual(1, (int) $fourth['headers']['retry-after']);
        $this->assertSame(3, $fourth['json']['data']['max_holds']);

        $other = self::lock(['date' => $day, 'time' => '12:00', 'resource' => $room], ['X-RP-Test-IP' => self::ip()]);
        $this->assertSame(201, $other['status'], 'another address is not capped');
        $released = self::unlock(['date' => $day, 'time' => '09:00', 'resource' => $room], $tokens['09:00'], $ip);
        $this->assertSame(200, $released['status']);
        $again = self::lock(['date' => $day, 'time' => '13:00', 'resource' => $room], $ip);
        $this->assertSame(201, $again['status'], 'room again after a release');
    }

    public function testIpv6AddressesOfOneSlash64ShareTheirCap(): void
    {
        $day = self::day();
        $room = self::room();
        $net = sprintf('2001:db8:%x:%x', random_int(1, 0xffff), random_int(1, 0xffff));
        foreach (['::1', '::2', ':abcd:1:2:3'] as $i => $host) {
            $slot = ['date' => $day, 'time' => sprintf('%02d:00', 9 + $i), 'resource' => $room];
            $lock = self::lock($slot, ['X-RP-Test-IP' => $net . $host]);
            $this->assertSame(201, $lock['status'], $lock['body']);
        }
        $same_net = self::lock(['date' => $day, 'time' => '15:00', 'resource' => $room], ['X-RP-Test-IP' => $net . ':ffff::9']);
        $this->assertSame(429, $same_net['status'], 'the same /64');
        // A /64 of its own on every run: holds outlive the test (and the suite runs three times).
        $next = sprintf('2001:db8:%x:%x::1', random_int(1, 0xffff), random_int(1, 0xffff));
        $next_net = self::lock(['date' => $day, 'time' => '15:00', 'resource' => $room], ['X-RP-Test-IP' => $next]);
        $this->assertSame(201, $next_net['status'], 'another /64');
    }

    public function testHoldsLastFifteenMinutesAtMostAndOnlyInsideTheBookingWindow(): void
    {
        $room = self::room();
        $ip = ['X-RP-Test-IP' => self::ip()];
        $slot = ['date' => self::day(), 'time' => '10:00', 'resource' => $room];
        $this->assertSame(400, self::lock($slot + ['ttl' => 901], $ip)['status']);
        $held = self::lock($slot + ['ttl' => 900], $ip);
        $this->assertSame(201, $held['status'], $held['body']);
        $this->assertLessThanOrEqual(time() + 901, $held['json']['expires_at']);
        $longer = $slot + ['token' => $held['json']['token'], 'ttl' => 3600];
        $extend = Site::rest('POST', 'redis-persona/v1/slots/extend', $longer, ['headers' => $ip]);
        $this->assertSame(400, $extend['status']);

        $days = [
            'yesterday' => gmdate('Y-m-d', time() - 2 * 86400),
            '91 days ahead' => gmdate('Y-m-d', time() + 92 * 86400),
            'a year ahead' => gmdate('Y-m-d', time() + 365 * 86400),
        ];
        foreach ($days as $what => $date) {
            $refused = self::lock(['date' => $date] + $slot, $ip);
            $this->assertSame(400, $refused['status'], $what);
            $this->assertStringContainsString('days ahead', $refused['body'], $what);
            $view = Site::rest('GET', "redis-persona/v1/availability?date=$date&resource=$room", null, ['headers' => $ip]);
            $this->assertSame(400, $view['status'], $what);
        }
        $past = self::lock(['date' => gmdate('Y-m-d'), 'time' => '00:00', 'resource' => $room], $ip);
        $this->assertSame(400, $past['status'], 'a time of today that has passed');
    }

    public function testLockNamesAreCaseSensitive(): void
    {
        $day = self::day();
        $room = self::room();
        $ip = ['X-RP-Test-IP' => self::ip()];
        $upper = self::lock(['date' => $day, 'time' => '10:00', 'resource' => strtoupper($room)], $ip);
        $lower = self::lock(['date' => $day, 'time' => '10:00', 'resource' => $room], $ip);
        $this->assertSame(201, $upper['status'], $upper['body']);
        $this->assertSame(201, $lower['status'], $lower['body']);
    }

    public function testFencesOnlyGoUpAcrossModesAndARedisDataLoss(): void
    {
        $slot = ['date' => self::day(), 'time' => '10:00', 'resource' => self::room()];
        $ip = ['X-RP-Test-IP' => self::ip()];
        $fences = [];
        $cycle = function () use ($slot, $ip, &$fences): void {
            $lock = self::lock($slot, $ip);
            $this->assertSame(201, $lock['status'], $lock['body']);
            $fences[] = $lock['json']['fence'];
            $this->assertSame(200, self::unlock($slot, $lock['json']['token'], $ip)['status']);
        };
        $cycle();
        $cycle();
        if (Site::mode() === 'redis') {
            Site::stop_redis();
            try {
                $cycle();
                $cycle();
            } finally {
                Site::start_redis();
            }
            usleep(1100000);
            $cycle();
            $flushed = Site::redis_masters('FLUSHALL');
            $this->assertSame(count(Site::master_ports()), substr_count($flushed, 'OK'), $flushed);
            $cycle();
            $cycle();
        }
        $sorted = $fences;
        sort($sorted);
        $this->assertSame($sorted, $fences, 'fences in the order issued: ' . implode(', ', $fences));
        $this->assertCount(count($fences), array_unique($fences), 'never issued twice');
    }

    public function testRateLimitsCountTheForwardedClientBehindATrustedProxy(): void
    {
        self::with_limits(['otp-verify-ip' => [2, 600]], function (): void {
            $verify = static fn (array $headers): int => Site::rest(
                'POST',
                'redis-persona/v1/otp/verify',
                ['identity' => 'nobody@example.test', 'code' => '123456'],
                ['headers' => $headers]
            )['status'];
            $client = '203.0.113.' . random_int(1, 254);
            $this->assertSame([401, 401, 429], [
                $verify(['X-Forwarded-For' => $client]),
                $verify(['X-Forwarded-For' => "$client, 127.0.0.1"]),
                $verify(['X-Forwarded-For' => $client]),
            ]);
            $this->assertSame(401, $verify(['X-Forwarded-For' => '198.51.100.' . random_int(1, 254)]), 'another client');

            $net = sprintf('2001:db8:%x:%x', random_int(1, 0xffff), random_int(1, 0xffff));
            $this->assertSame([401, 401, 429], [
                $verify(['X-RP-Test-IP' => "$net::1"]),
                $verify(['X-RP-Test-IP' => "$net:1:2:3:4"]),
                $verify(['X-RP-Test-IP' => "$net::ffff"]),
            ], 'IPv6 counts by /64');
        });
        $resolved = Site::wp(<<<'PHP'
            $ip = static function (string $remote, string $forwarded): string {
                $_SERVER['REMOTE_ADDR'] = $remote;
                $_SERVER['HTTP_X_FORWARDED_FOR'] = $forwarded;
                return RedisPersona\WordPress\ClientAddress::ip();
            };
            echo wp_json_encode([
                $ip('198.51.100.1', '203.0.113.5'),
                $ip('127.0.0.1', '203.0.113.5'),
                $ip('127.0.0.1', '203.0.113.5, 198.51.100.7, 127.0.0.1'),
                $ip('127.0.0.1', 'garbage'),
                RedisPersona\WordPress\ClientAddress::limit_key('2001:db8:1:2:3:4:5:6'),
                RedisPersona\WordPress\ClientAddress::limit_key('::ffff:203.0.113.9'),
            ]);
            PHP);
        $this->assertSame(
            ['198.51.100.1', '203.0.113.5', '198.51.100.7', '127.0.0.1', '2001:db8:1:2::/64', '203.0.113.9'],
            json_decode($resolved, true),
            'X-Forwarded-For counts only behind a trusted proxy, right-most untrusted hop'
        );
    }

    public function testTheHeartbeatsSlotLookupIsRateLimited(): void
    {
        self::with_limits(['heartbeat' => [2, 60]], function (): void {
            $day = self::day();
            $room = self::room();
            $ip = self::ip();
            $beats = [];
            for ($i = 0; $i < 3; $i++) {
                $beat = Site::get('/wp-admin/admin-ajax.php', [
                    'method' => 'POST',
                    'headers' => ['Content-Type' => 'application/x-www-form-urlencoded', 'X-RP-Test-IP' => $ip],
                    'body' => http_build_query([
                        'action' => 'heartbeat',
                        '_nonce' => '',
                        'interval' => 15,
                        'data' => ['redis_persona_watch' => ['date' => $day, 'resource' => $room]],
                    ]),
                ]);
                $this->assertSame(200, $beat['status'], $beat['body']);
                $beats[] = $beat['json']['redis_persona_locked'];
            }
            $this->assertSame([], $beats[0]['times']);
            $this->assertSame([], $beats[1]['times']);
            $this->assertArrayNotHasKey('times', $beats[2]);
            $this->assertGreaterThanOrEqual(1, $beats[2]['retry_after']);
        });
    }

    public function testExpiredStateRowsAreCollectedAsFastAsNewOnesAreWritten(): void
    {
        $count = static fn (): int => (int) Site::wp(<<<'PHP'
            global $wpdb;
            $table = $wpdb->prefix . 'redis_persona_state';
            $now = (int) (microtime(true) * 1000);
            echo (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM `$table` WHERE expires_at <= %d", $now));
            PHP);
        Site::wp(<<<'PHP'
            global $wpdb;
            $table = $wpdb->prefix . 'redis_persona_state';
            for ($i = 0; $i < 40; $i++) {
                $name = 'gc-test:' . wp_generate_password(12, false);
                $wpdb->insert($table, ['name' => $name, 'value' => '', 'counter' => 0, 'expires_at' => 1, 'data' => '']);
            }
            PHP);
        $before = $count();
        $this->assertGreaterThanOrEqual(40, $before);
        $day = self::day();
        $room = self::room();
        $ip = ['X-RP-Test-IP' => self::ip()];
        for ($i = 0; $i < 20; $i++) {
            $slot = ['date' => $day, 'time' => sprintf('%02d:%02d', 8 + intdiv($i, 4), ($i % 4) * 15), 'resource' => $room];
            $lock = self::lock($slot, $ip);
            $this->assertSame(201, $lock['status'], $lock['body']);
            self::unlock($slot, $lock['json']['token'], $ip);
        }
        $this->assertLessThanOrEqual($before - 38, $count(), '20 holds collected at least 2 expired rows each');
    }
}
