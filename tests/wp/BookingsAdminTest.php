<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/** Tools → Bookings and the dashboard widget: the list, its filters, cancel, CSV export, the uninstall choice. */
final class BookingsAdminTest extends SiteTestCase
{
    /** @return array<string, string> an administrator's login cookies */
    private static function login(): array
    {
        $jar = [];
        $script = (string) file_get_contents(dirname(__DIR__) . '/browser/login-cookies.php');
        $lines = Site::wp((string) preg_replace('/^<\?php/', '', $script));
        foreach (explode("\n", trim($lines)) as $line) {
            [$name, $value] = explode('=', $line, 2);
            $jar[$name] = $value;
        }
        return $jar;
    }

    /** @return array{reference: string, date: string, time: string, resource: string} a booking made over REST */
    private static function book(string $date, string $resource, string $time): array
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $slot = ['date' => $date, 'time' => $time, 'resource' => $resource];
        $hold = Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, $ip);
        $email = 'admin-test-' . bin2hex(random_bytes(3)) . '@example.test';
        $identity_token = Site::wp(sprintf(
            'echo RedisPersona\WordPress\RestOtpController::issue_token(%s, time() + 600);',
            var_export($email, true)
        ));
        $body = $slot + ['token' => $hold['json']['token'], 'identity' => $email, 'identity_token' => $identity_token];
        $booked = Site::rest('POST', 'redis-persona/v1/bookings', $body, $ip);
        if ($booked['status'] !== 201) {
            throw new \RuntimeException('not booked: ' . $booked['body']);
        }
        return $booked['json'];
    }

    public function testTheListFiltersExportsAndCancels(): void
    {
        $cookies = self::login();
        $day = self::day();
        $room = self::room();
        $first = self::book($day, $room, '09:00');
        $second = self::book($day, $room, '10:00');
        $elsewhere = self::book($day, self::room(), '09:00');
        $query = http_build_query(['page' => 'redis-persona-bookings', 'date' => $day, 'resource' => $room]);
        $page = Site::get('/wp-admin/tools.php?' . $query, ['cookies' => $cookies]);
        $this->assertSame(200, $page['status']);
        $this->assertStringContainsString($first['reference'], $page['body']);
        $this->assertStringContainsString($second['reference'], $page['body']);
        $this->assertStringNotContainsString($elsewhere['reference'], $page['body'], 'filtered by resource');
        $this->assertStringContainsString((string) $first['fence'], $page['body'], 'the fence is shown');

        $this->assertSame(1, preg_match('/href="([^"]+action=rp-export[^"]*)"/', $page['body'], $m));
        $csv = Site::get(str_replace(Site::url(''), '', html_entity_decode($m[1])), ['cookies' => $cookies]);
        $this->assertSame(200, $csv['status']);
        $this->assertStringContainsString('text/csv', $csv['headers']['content-type']);
        $lines = array_map('str_getcsv', array_filter(explode("\n", $csv['body'])));
        $this->assertSame('reference', $lines[0][0]);
        $this->assertSame([$first['reference'], $second['reference']], array_column(array_slice($lines, 1), 0));

        $pattern = '/href="([^"]+action=rp-cancel[^"]*reference=' . preg_quote($first['reference'], '/') . '[^"]*)"/';
        $this->assertSame(1, preg_match($pattern, $page['body'], $m), 'a cancel action');
        $url = str_replace(Site::url(''), '', html_entity_decode($m[1]));
        $forged = Site::get(preg_replace('/_wpnonce=[^&]+/', '_wpnonce=0', $url), ['cookies' => $cookies]);
        $this->assertNotSame(302, $forged['status'], 'the nonce is checked');
        $cancel = Site::get($url, ['cookies' => $cookies]);
        $this->assertSame(302, $cancel['status'], $cancel['body']);
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $availability = Site::rest('GET', "redis-persona/v1/availability?date=$day&resource=$room", null, $ip);
        $this->assertSame(['10:00'], $availability['json']['booked']);

        $dashboard = Site::get('/wp-admin/index.php', ['cookies' => $cookies]);
        $this->assertStringContainsString('redis_persona_bookings', $dashboard['body']);
        $this->assertSame(401, Site::rest('GET', 'redis-persona/v1/bookings')['status']);
    }

    public function testUninstallKeepsBookingsUnlessTheAdminChoseToDeleteThem(): void
    {
        $choice = Site::wp(<<<'PHP'
            use RedisPersona\WordPress\BookingTable;
            global $wpdb;
            $exists = static fn (): bool
                => $wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', BookingTable::name())) === BookingTable::name();
            delete_option(BookingTable::DELETE_ON_UNINSTALL_OPTION);
            BookingTable::uninstall();
            $kept = $exists();
            update_option(BookingTable::DELETE_ON_UNINSTALL_OPTION, 1);
            BookingTable::uninstall();
            $deleted = !$exists() && get_option(BookingTable::VERSION_OPTION) === false;
            // A later install (or update) migrates from scratch.
            BookingTable::migrate();
            echo wp_json_encode([$kept, $deleted, $exists(), (int) get_option(BookingTable::VERSION_OPTION)]);
            PHP);
        $this->assertSame([true, true, true, 1], json_decode($choice, true), 'kept by default, deleted when the admin chose so');
    }
}
