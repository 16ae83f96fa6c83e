<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Http;
use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Stored bookings over HTTP, in both modes: a hold becomes a booking only
 * for its holder's token and fence, exactly once, and the booked slot is
 * unavailable to everybody until the booking is cancelled.
 */
final class BookingsTest extends SiteTestCase
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

    /** An identity token as POST /otp/verify issues it (signed inside WordPress). */
    private static function identity_token(string $email): string
    {
        return Site::wp(sprintf(
            'echo RedisPersona\WordPress\RestOtpController::issue_token(%s, time() + 600);',
            var_export($email, true)
        ));
    }

    private static function confirm(array $slot, string $token, string $email, string $identity_token, string $ip): array
    {
        return Site::rest('POST', self::ROUTE, $slot + [
            'token' => $token,
            'identity' => $email,
            'identity_token' => $identity_token,
        ], ['headers' => ['X-RP-Test-IP' => $ip]]);
    }

    private static function availability(array $slot, string $ip): array
    {
        $query = http_build_query(['date' => $slot['date'], 'resource' => $slot['resource']]);
        return Site::rest('GET', "redis-persona/v1/availability?$query", null, ['headers' => ['X-RP-Test-IP' => $ip]])['json'];
    }

    private static function email(): string
    {
        return 'guest-' . bin2hex(random_bytes(4)) . '@example.test';
    }

    /** The mail to $to whose subject contains $subject, waiting for it (mail is sent after the response). */
    private static function mail_to(string $to, string $subject): ?array
    {
        $deadline = microtime(true) + 3;
        do {
            foreach (array_reverse(Site::mails()) as $mail) {
                if ($mail['to'] === $to && str_contains($mail['subject'], $subject)) {
                    return $mail;
                }
            }
            usleep(20000);
        } while (microtime(true) < $deadline);
        return null;
    }

    public function testTheWholeFlowFromHoldToCancelledBooking(): void
    {
        $ip = self::ip();
        $slot = self::slot('11:00');
        $email = self::email();
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);

        $since = microtime(true);
        $headers = ['headers' => ['X-RP-Test-IP' => $ip]];
        $this->assertSame(202, Site::rest('POST', 'redis-persona/v1/otp/request', ['identity' => $email], $headers)['status']);
        $code = Site::mailed_code($email, 3000, $since);
        $this->assertNotNull($code, 'a code was mailed');
        $verified = Site::rest('POST', 'redis-persona/v1/otp/verify', ['identity' => $email, 'code' => $code], $headers);
        $this->assertSame(200, $verified['status'], $verified['body']);

        $booked = self::confirm($slot, $hold['json']['token'], $email, $verified['json']['token'], $ip);
        $this->assertSame(201, $booked['status'], $booked['body']);
        $reference = $booked['json']['reference'];
        $this->assertMatchesRegularExpression('/^RP-[0-9A-Z]{10}$/D', $reference);
        $this->assertSame($hold['json']['fence'], $booked['json']['fence']);
        $this->assertSame($slot, array_intersect_key($booked['json'], $slot));

        $day = self::availability($slot, $ip);
        $this->assertSame([$slot['time']], $day['booked'], 'availability counts the booking at once');
        $this->assertSame([], $day['locked'], 'the hold was released: the booking keeps the slot');
        $again = self::hold($slot, self::ip());
        $this->assertSame(409, $again['status'], 'a booked slot cannot be held');

        $mail = self::mail_to($email, $reference);
        $this->assertNotNull($mail, 'a confirmation was mailed');
        $this->assertSame(1, preg_match('/^(http\S+)$/m', $mail['message'], $m), $mail['message']);
        $link = str_replace(Site::url(''), '', $m[1]);
        // Opening the link (a mail scanner prefetching it) cancels nothing.
        $page = Site::get($link);
        $this->assertSame(200, $page['status'], $page['body']);
        $this->assertStringContainsString('rp-cancel-button', $page['body']);
        $this->assertStringContainsString('no-cache', $page['headers']['cache-control'] ?? '');
        $this->assertSame([$slot['time']], self::availability($slot, $ip)['booked']);
        // Only the button's POST does.
        parse_str((string) parse_url($m[1], PHP_URL_QUERY), $query);
        $cancel = Site::get('/?rp_cancel=' . $reference, [
            'method' => 'POST',
            'headers' => ['Content-Type' => 'application/x-www-form-urlencoded'],
            'body' => http_build_query(['token' => $query['token']]),
        ]);
        $this->assertSame(200, $cancel['status'], $cancel['body']);
        $this->assertStringContainsString('Your booking is cancelled.', $cancel['body']);
        $this->assertSame([], self::availability($slot, $ip)['booked'], 'cancel frees the slot');
        $this->assertSame(201, self::hold($slot, self::ip())['status'], 'free to hold again');
        $bad = Site::get('/?rp_cancel=' . $reference . '&token=' . str_repeat('0', 40));
        $this->assertSame(404, $bad['status']);
    }

    public function testSixteenParallelConfirmationsOfOneHoldGiveExactlyOneBooking(): void
    {
        $ip = self::ip();
        $slot = self::slot('12:00');
        $email = self::email();
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $identity_token = self::identity_token($email);
        $body = $slot + ['token' => $hold['json']['token'], 'identity' => $email, 'identity_token' => $identity_token];
        $requests = [];
        for ($i = 0; $i < 16; $i++) {
            $requests[] = [Site::rest_url(self::ROUTE), Site::rest_options('POST', $body, ['headers' => ['X-RP-Test-IP' => $ip]])];
        }
        $responses = Http::parallel($requests);
        $statuses = array_count_values(array_column($responses, 'status'));
        ksort($statuses);
        $this->assertSame([200 => 15, 201 => 1], $statuses, implode("\n", array_column($responses, 'body')));
        $references = array_unique(array_map(static fn (array $r): string => $r['json']['reference'], $responses));
        $this->assertCount(1, $references, 'every answer names the one booking');

        // Another holder's token (and a parallel burst of strangers) gets 409.
        $other = self::confirm($slot, str_repeat('b', 32), $email, $identity_token, $ip);
        $this->assertSame(409, $other['status'], $other['body']);
        $query = http_build_query(['date' => $slot['date'], 'resource' => $slot['resource']]);
        $list = Site::rest('GET', self::ROUTE . '?' . $query, null, ['auth' => Site::admin()]);
        $this->assertSame(200, $list['status'], $list['body']);
        $this->assertSame(1, $list['json']['total']);
        $this->assertSame($references, [$list['json']['bookings'][0]['reference']]);
        $this->assertSame('confirmed', $list['json']['bookings'][0]['status']);
        $this->assertSame(401, Site::rest('GET', self::ROUTE . '?date=' . $slot['date'])['status'], 'managers only');
    }

    public function testAConfirmationAfterTheHoldExpiredAndSomeoneElseTookItIsRefused(): void
    {
        $slot = self::slot('13:00');
        $first_ip = self::ip();
        $first = self::hold($slot, $first_ip);
        $this->assertSame(201, $first['status'], $first['body']);
        self::expire($slot);
        $second_ip = self::ip();
        $second = self::hold($slot, $second_ip);
        $this->assertSame(201, $second['status'], $second['body']);
        $this->assertGreaterThan($first['json']['fence'], $second['json']['fence']);

        $email = self::email();
        $late = self::confirm($slot, $first['json']['token'], $email, self::identity_token($email), $first_ip);
        $this->assertSame(409, $late['status'], $late['body']);
        $this->assertSame('rp_hold_lost', $late['json']['code']);
        $other = self::email();
        $this->assertSame(201, self::confirm($slot, $second['json']['token'], $other, self::identity_token($other), $second_ip)['status']);
    }

    public function testAWriteWithAStaleFenceIsRefused(): void
    {
        $ip = self::ip();
        $slot = self::slot('14:00');
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        // Somewhere a newer fence of this slot was seen (another node's hold, a data loss).
        Site::wp(sprintf(
            'use RedisPersona\WordPress\{StateTable, StoreRules};'
            . ' (new StateTable())->see_fence(StoreRules::lock_name(%s, %s, %s), %d, StateTable::now_ms() + 60000);',
            var_export($slot['date'], true),
            var_export($slot['resource'], true),
            var_export($slot['time'], true),
            $hold['json']['fence'] + 1
        ));
        $email = self::email();
        $stale = self::confirm($slot, $hold['json']['token'], $email, self::identity_token($email), $ip);
        $this->assertSame(409, $stale['status'], $stale['body']);
        $this->assertSame('rp_stale_fence', $stale['json']['code']);
        $this->assertSame([], self::availability($slot, $ip)['booked']);
    }

    public function testRefusedAttemptsToHoldDoNotMakeTheHoldersFenceStale(): void
    {
        $ip = self::ip();
        $slot = self::slot('14:30');
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $others = [];
        for ($i = 0; $i < 8; $i++) {
            $options = Site::rest_options('POST', $slot, ['headers' => ['X-RP-Test-IP' => self::ip()]]);
            $others[] = [Site::rest_url('redis-persona/v1/slots/lock'), $options];
        }
        $this->assertSame([409], array_values(array_unique(array_column(Http::parallel($others), 'status'))));
        $email = self::email();
        $booked = self::confirm($slot, $hold['json']['token'], $email, self::identity_token($email), $ip);
        $this->assertSame(201, $booked['status'], $booked['body']);
    }

    public function testBadInputUnverifiedIdentitiesAndPastTimesAreRefused(): void
    {
        $ip = self::ip();
        $slot = self::slot('15:00');
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $email = self::email();
        $token = $hold['json']['token'];
        $someone_else = self::identity_token('someone-else@example.test');
        $this->assertSame(401, self::confirm($slot, $token, $email, $someone_else, $ip)['status'], 'a token of another identity');
        $this->assertSame(401, self::confirm($slot, $token, $email, 'garbage.token', $ip)['status']);
        $expired = Site::wp(sprintf(
            'echo RedisPersona\WordPress\RestOtpController::issue_token(%s, time() - 1);',
            var_export($email, true)
        ));
        $this->assertSame(401, self::confirm($slot, $token, $email, $expired, $ip)['status'], 'an expired token');
        $headers = ['headers' => ['X-RP-Test-IP' => $ip]];
        $this->assertSame(400, Site::rest('POST', self::ROUTE, $slot + ['token' => $token], $headers)['status']);
        $this->assertSame(400, self::confirm(['time' => '25:00'] + $slot, $token, $email, self::identity_token($email), $ip)['status']);
        // Today is the site's (its timezone), not UTC's: 00:00 of it has always passed.
        $past = ['date' => Site::wp("echo wp_date('Y-m-d');"), 'time' => '00:00'] + $slot;
        $this->assertSame(400, self::confirm($past, $token, $email, self::identity_token($email), $ip)['status']);
        $this->assertSame(401, Site::rest('DELETE', self::ROUTE . '/RP-0000000000', null, $headers)['status'], 'no token, no manager');
    }

    public function testCancellingWithTheTokenOrAsAManagerFreesTheSlot(): void
    {
        $ip = self::ip();
        foreach (['token', 'manager'] as $who) {
            $slot = self::slot('16:00');
            $hold = self::hold($slot, $ip);
            $email = self::email();
            $booked = self::confirm($slot, $hold['json']['token'], $email, self::identity_token($email), $ip);
            $this->assertSame(201, $booked['status'], $booked['body']);
            $reference = $booked['json']['reference'];
            $route = self::ROUTE . '/' . $reference;
            $this->assertSame(401, Site::rest('DELETE', $route . '?cancel_token=' . str_repeat('a', 40))['status'], 'a wrong token');
            if ($who === 'token') {
                $cancel_token = Site::wp(sprintf('echo RedisPersona\WordPress\CancelLink::token(%s);', var_export($reference, true)));
                $cancelled = Site::rest('DELETE', $route . '?cancel_token=' . $cancel_token, null, ['headers' => ['X-RP-Test-IP' => $ip]]);
            } else {
                $cancelled = Site::rest('DELETE', $route, null, ['auth' => Site::admin()]);
            }
            $this->assertSame(200, $cancelled['status'], $cancelled['body']);
            $this->assertSame('cancelled', $cancelled['json']['status']);
            $this->assertSame(409, Site::rest('DELETE', $route, null, ['auth' => Site::admin()])['status'], 'cancelled once');
            $this->assertSame([], self::availability($slot, $ip)['booked'], $who);
            $this->assertSame(201, self::hold($slot, self::ip())['status'], "$who: free again");
        }
    }

    public function testASwitchOfModeBetweenHoldAndConfirmLosesNothing(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('switching modes needs the extension');
        }
        $ip = self::ip();
        // Held on Redis, confirmed during an outage.
        $slot = self::slot('09:30');
        $hold = self::hold($slot, $ip);
        $this->assertSame(201, $hold['status'], $hold['body']);
        $email = self::email();
        $identity_token = self::identity_token($email);
        Site::stop_redis();
        try {
            $booked = self::confirm($slot, $hold['json']['token'], $email, $identity_token, $ip);
            $this->assertSame(201, $booked['status'], $booked['body']);
            // Held during the outage...
            $outage_slot = self::slot('10:30');
            $outage_hold = self::hold($outage_slot, $ip);
            $this->assertSame(201, $outage_hold['status'], $outage_hold['body']);
        } finally {
            Site::start_redis();
        }
        usleep(1100000);
        $this->assertSame(409, self::hold($slot, self::ip())['status'], 'booked during the outage: still booked');
        $this->assertSame(409, self::hold($outage_slot, self::ip())['status'], 'held during the outage: still held');
        // ...and confirmed once Redis is back.
        $later = self::confirm($outage_slot, $outage_hold['json']['token'], $email, $identity_token, $ip);
        $this->assertSame(201, $later['status'], $later['body']);
        $this->assertSame([$outage_slot['time']], self::availability($outage_slot, $ip)['booked']);
    }

    public function testPersonalDataToolsExportAndEraseAVisitorsBookings(): void
    {
        $ip = self::ip();
        $slot = self::slot('17:00');
        $hold = self::hold($slot, $ip);
        $email = self::email();
        $booked = self::confirm($slot, $hold['json']['token'], $email, self::identity_token($email), $ip);
        $this->assertSame(201, $booked['status'], $booked['body']);
        $run = static fn (string $filter, string $php_email): array => json_decode(Site::wp(sprintf(<<<'PHP'
            $tools = apply_filters(%s, []);
            echo wp_json_encode(call_user_func($tools['redis-persona-bookings']['callback'], %s, 1));
            PHP, var_export($filter, true), var_export($php_email, true))), true);
        $export = $run('wp_privacy_personal_data_exporters', strtoupper($email));
        $this->assertCount(1, $export['data']);
        $this->assertStringContainsString($booked['json']['reference'], json_encode($export['data']));
        $this->assertStringContainsString($email, json_encode($export['data']));
        $erased = $run('wp_privacy_personal_data_erasers', $email);
        $this->assertTrue($erased['items_removed']);
        $this->assertSame([], $run('wp_privacy_personal_data_exporters', $email)['data']);
        $this->assertSame([$slot['time']], self::availability($slot, $ip)['booked'], 'the slot stays booked, anonymously');
    }

    /** Ends a hold as its expiry would (the lock key in Redis, the lock row in the database). */
    private static function expire(array $slot): void
    {
        Site::wp(sprintf(
            'use RedisPersona\WordPress\{StateTable, StoreRules}; global $wpdb;'
            . ' $wpdb->update(StateTable::name(), ["expires_at" => 1], ["name" => StoreRules::lock_name(%s, %s, %s)]);',
            var_export($slot['date'], true),
            var_export($slot['resource'], true),
            var_export($slot['time'], true)
        ));
        if (Site::mode() === 'redis') {
            $prefix = Site::wp('echo RedisPersona\WordPress\Plugin::instance()->config()->prefix();');
            $key = sprintf('%s:lk:{%s:%s}:l:%s', $prefix, $slot['date'], $slot['resource'], $slot['time']);
            $out = Site::redis('DEL ' . escapeshellarg($key));
            if (trim($out) !== '1') {
                throw new \RuntimeException("could not expire $key: $out");
            }
        }
    }
}
