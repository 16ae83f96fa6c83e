<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * What keeps stored bookings right when things go wrong, in both modes: a
 * database failure is never read as a business answer, the unique key holds
 * without locks, a slot booked while its lock was taken is not held, the
 * personal-data tools survive a salt rotation, and a cancel link stops at
 * the slot's time.
 */
final class BookingsIntegrityTest extends SiteTestCase
{
    private const ROUTE = 'redis-persona/v1/bookings';

    /** @return array{date: string, time: string, resource: string} */
    private static function slot(string $time = '10:00'): array
    {
        return ['date' => self::day(), 'time' => $time, 'resource' => self::room()];
    }

    private static function hold(array $slot, string $ip): array
    {
        return Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, ['headers' => ['X-RP-Test-IP' => $ip]]);
    }

    /** Holds and confirms a slot for $email; the 201 answer. */
    private function book(array $slot, string $email, string $ip): array
    {
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $booked = self::confirm($slot, $hold['json']['token'], $email, $ip);
        $this->assertSame(201, $booked['status'], $booked['body']);
        return $booked['json'];
    }

    private static function confirm(array $slot, string $token, string $email, string $ip): array
    {
        $identity_token = Site::wp(sprintf(
            'echo RedisPersona\WordPress\RestOtpController::issue_token(%s, time() + 600);',
            var_export($email, true)
        ));
        return Site::rest('POST', self::ROUTE, $slot + [
            'token' => $token,
            'identity' => $email,
            'identity_token' => $identity_token,
        ], ['headers' => ['X-RP-Test-IP' => $ip]]);
    }

    private static function booked(array $slot, string $ip): array
    {
        $query = http_build_query(['date' => $slot['date'], 'resource' => $slot['resource']]);
        return Site::rest('GET', "redis-persona/v1/availability?$query", null, ['headers' => ['X-RP-Test-IP' => $ip]])['json'];
    }

    private static function email(): string
    {
        return 'guest-' . bin2hex(random_bytes(4)) . '@example.test';
    }

    public function testAFailedDatabaseWriteIsAStorageErrorNotAStaleFence(): void
    {
        $ip = self::ip();
        $slot = self::slot('10:00');
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $since = microtime(true);
        // The table goes missing (a failed migration, a dropped table).
        Site::wp('global $wpdb; $t = RedisPersona\WordPress\BookingTable::name(); $wpdb->query("RENAME TABLE `$t` TO `{$t}_gone`");');
        try {
            $failed = self::confirm($slot, $hold['json']['token'], self::email(), $ip);
        } finally {
            Site::wp('global $wpdb; $t = RedisPersona\WordPress\BookingTable::name(); $wpdb->query("RENAME TABLE `{$t}_gone` TO `$t`");');
        }
        $this->expectLoggedDatabaseErrors();
        $this->assertSame(500, $failed['status'], $failed['body']);
        $this->assertSame('rp_booking_storage', $failed['json']['code']);
        $errors = Site::actions('redis_persona_error', $since);
        $this->assertContains('RedisPersona\WordPress\BookingStorageError', array_column($errors, 'class'), 'reported');
        // Nothing was lost: the hold still books once the table is back.
        $this->assertSame(201, self::confirm($slot, $hold['json']['token'], self::email(), $ip)['status']);
    }

    public function testASchemaStepIsRecordedOnlyOnceItsTableExists(): void
    {
        // One PHP process: the table is moved aside, a CREATE that fails is
        // retried by the next migrate, and the real table comes back.
        $states = json_decode(Site::wp(<<<'PHP'
            use RedisPersona\WordPress\BookingTable;
            global $wpdb;
            $t = BookingTable::name();
            $wpdb->suppress_errors(true);
            $wpdb->query("RENAME TABLE `$t` TO `{$t}_kept`");
            $fail = static fn ($q) => is_string($q) && str_contains($q, 'CREATE TABLE') && str_contains($q, $t) ? 'CREATE TABLE (' : $q;
            try {
                update_option(BookingTable::VERSION_OPTION, 0, true);
                add_filter('query', $fail);
                BookingTable::migrate();
                $failed = [(int) get_option(BookingTable::VERSION_OPTION, 0), BookingTable::exists()];
                remove_filter('query', $fail);
                BookingTable::migrate();
                $retried = [(int) get_option(BookingTable::VERSION_OPTION, 0), BookingTable::exists()];
            } finally {
                remove_filter('query', $fail);
                $wpdb->query("DROP TABLE IF EXISTS `$t`");
                $wpdb->query("RENAME TABLE `{$t}_kept` TO `$t`");
                update_option(BookingTable::VERSION_OPTION, BookingTable::VERSION, true);
            }
            echo wp_json_encode([$failed, $retried]);
            PHP), true);
        $this->assertSame([[0, false], [1, true]], $states, 'a failed CREATE is not remembered as done');
    }

    public function testRoom1AndLowercaseRoom1AreTwoSlots(): void
    {
        $ip = self::ip();
        $lower = self::slot('11:00');
        $upper = ['resource' => ucfirst($lower['resource'])] + $lower;
        $this->assertNotSame($lower['resource'], $upper['resource']);
        $first = $this->book($lower, self::email(), $ip);
        $second = $this->book($upper, self::email(), self::ip());
        $this->assertNotSame($first['reference'], $second['reference']);
        $this->assertSame($upper['resource'], $second['resource']);
        $this->assertSame(['11:00'], self::booked($lower, $ip)['booked']);
        $this->assertSame(['11:00'], self::booked($upper, $ip)['booked']);
    }

    public function testTheUniqueKeyRefusesASecondActiveBookingWithoutAnyLock(): void
    {
        $ip = self::ip();
        $slot = self::slot('12:00');
        $booking = $this->book($slot, self::email(), $ip);
        // A second active row of the slot, written straight into the table as
        // if every lock had failed.
        $result = json_decode(Site::wp(sprintf(<<<'PHP'
            use RedisPersona\WordPress\{BookingStore, BookingTable};
            global $wpdb;
            $wpdb->suppress_errors(true);
            [$date, $time, $resource] = [%s, %s, %s];
            $written = $wpdb->insert(BookingTable::name(), [
                'reference' => BookingStore::new_reference(), 'resource' => $resource, 'slot_date' => $date,
                'slot_time' => $time, 'seat' => 1, 'active_slot' => BookingStore::active_slot($date, $time, $resource),
                'status' => BookingStore::CONFIRMED, 'fence' => 1, 'mode' => 'test', 'hold_hash' => str_repeat('a', 64),
                'identity_hash' => str_repeat('b', 64), 'email' => '', 'created_at' => gmdate('Y-m-d H:i:s'),
            ]);
            echo wp_json_encode(['written' => $written, 'error' => $wpdb->last_error]);
            PHP, var_export($slot['date'], true), var_export($slot['time'], true), var_export($slot['resource'], true))), true);
        $this->assertFalse($result['written'], 'the database refused the second active booking');
        $this->assertStringContainsString('Duplicate', $result['error']);
        $list = Site::rest('GET', self::ROUTE . '?' . http_build_query(['date' => $slot['date'], 'resource' => $slot['resource']]), null, [
            'auth' => Site::admin(),
        ]);
        $this->assertSame(1, $list['json']['total']);
        $this->assertSame($booking['reference'], $list['json']['bookings'][0]['reference']);
    }

    public function testTheCreatedActionFiresWithThePublicFieldsOnly(): void
    {
        $since = microtime(true);
        $email = self::email();
        $booking = $this->book(self::slot('13:00'), $email, self::ip());
        $created = Site::actions('redis_persona_booking_created', $since);
        $this->assertCount(1, $created);
        $this->assertSame($booking['reference'], $created[0]['reference']);
        $this->assertSame($booking['fence'], $created[0]['fence']);
        $this->assertArrayNotHasKey('identity_hash', $created[0]);
        $this->assertStringNotContainsString($email, json_encode($created[0]));
    }

    public function testALockWonOnASlotBookedMeanwhileIsGivenBack(): void
    {
        $ip = self::ip();
        $slot = self::slot('14:00');
        // The slot gets booked between the lock's look at the bookings and its lock row.
        Site::wp(sprintf(
            'use RedisPersona\WordPress\StoreRules;'
            . ' update_option("rp_sandbox_book_during_lock", [StoreRules::lock_name(%1$s, %3$s, %2$s), %1$s, %2$s, %3$s], true);',
            var_export($slot['date'], true),
            var_export($slot['time'], true),
            var_export($slot['resource'], true)
        ));
        $hold = self::hold($slot, $ip);
        $this->assertSame('', Site::wp('echo get_option("rp_sandbox_book_during_lock") ? "still set" : "";'), 'the race happened');
        $this->assertSame(409, $hold['status'], $hold['body']);
        $day = self::booked($slot, $ip);
        $this->assertSame(['14:00'], $day['booked']);
        $this->assertSame([], $day['locked'], 'the lock was given back');
    }

    public function testPersonalDataToolsStillFindBookingsAfterTheSaltChanged(): void
    {
        $ip = self::ip();
        $slot = self::slot('15:00');
        $email = self::email();
        $booking = $this->book($slot, $email, $ip);
        // A rotated salt: the stored hash no longer matches the address's.
        Site::wp(sprintf(
            'global $wpdb; $wpdb->update(RedisPersona\WordPress\BookingTable::name(),'
            . ' ["identity_hash" => hash("sha256", "old salt")], ["reference" => %s]);',
            var_export($booking['reference'], true)
        ));
        $run = static fn (string $filter): array => json_decode(Site::wp(sprintf(<<<'PHP'
            $tools = apply_filters(%s, []);
            echo wp_json_encode(call_user_func($tools['redis-persona-bookings']['callback'], %s, 1));
            PHP, var_export($filter, true), var_export(strtoupper($email), true))), true);
        $export = $run('wp_privacy_personal_data_exporters');
        $this->assertCount(1, $export['data'], 'found by the stored address');
        $this->assertStringContainsString($booking['reference'], json_encode($export['data']));
        $this->assertTrue($run('wp_privacy_personal_data_erasers')['items_removed']);
        $this->assertSame([], $run('wp_privacy_personal_data_exporters')['data']);
        $this->assertSame(['15:00'], self::booked($slot, $ip)['booked'], 'the slot stays booked, anonymously');
    }

    public function testACancelLinkOrTokenCancelsNothingOnceTheTimeHasPassed(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        // A booking of yesterday (the site's), written as it was then.
        $reference = Site::wp(<<<'PHP'
            use RedisPersona\WordPress\{BookingStore, BookingTable};
            global $wpdb;
            $reference = BookingStore::new_reference();
            $date = wp_date('Y-m-d', time() - DAY_IN_SECONDS);
            $resource = 'room-past-' . strtolower(substr($reference, 3));
            $wpdb->insert(BookingTable::name(), [
                'reference' => $reference, 'resource' => $resource, 'slot_date' => $date, 'slot_time' => '10:00', 'seat' => 1,
                'active_slot' => BookingStore::active_slot($date, '10:00', $resource), 'status' => BookingStore::CONFIRMED,
                'fence' => 1, 'mode' => 'test', 'hold_hash' => str_repeat('a', 64), 'identity_hash' => str_repeat('b', 64),
                'email' => '', 'created_at' => gmdate('Y-m-d H:i:s', time() - 2 * DAY_IN_SECONDS),
            ]);
            echo $reference;
            PHP);
        $token = Site::wp(sprintf('echo RedisPersona\WordPress\CancelLink::token(%s);', var_export($reference, true)));
        $route = self::ROUTE . '/' . $reference;
        $late = Site::rest('DELETE', $route . '?cancel_token=' . $token, null, $ip);
        $this->assertSame(409, $late['status'], $late['body']);
        $this->assertSame('rp_booking_past', $late['json']['code']);

        $page = Site::get('/?rp_cancel=' . $reference . '&token=' . $token);
        $this->assertSame(200, $page['status']);
        $this->assertStringNotContainsString('rp-cancel-button', $page['body'], 'no button to press');
        $this->assertStringContainsString('can no longer be cancelled', $page['body']);
        $post = Site::get('/?rp_cancel=' . $reference, [
            'method' => 'POST',
            'headers' => ['Content-Type' => 'application/x-www-form-urlencoded'],
            'body' => http_build_query(['token' => $token]),
        ]);
        $this->assertSame(409, $post['status'], $post['body']);
        $this->assertStringNotContainsString('Your booking is cancelled.', $post['body']);

        $managed = Site::rest('DELETE', $route, null, ['auth' => Site::admin()]);
        $this->assertSame(200, $managed['status'], 'a manager still can: ' . $managed['body']);
        $this->assertSame('cancelled', $managed['json']['status']);
    }
}
