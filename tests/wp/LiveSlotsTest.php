<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * The live slot stream (/rp-events, the slot-events relay behind nginx):
 * a page watching a day hears a hold, a release, a booking and a
 * cancellation within a second, and learns nothing but the event and the
 * time.
 */
final class LiveSlotsTest extends SiteTestCase
{
    /**
     * Reads the stream until $count slot events arrived or the deadline
     * passed; returns them. `changed` (sent to every page whenever the relay
     * subscribes again, e.g. after another test's outage) is left out.
     */
    private static function events($multi, string &$buffer, int $count, float $deadline): array
    {
        do {
            curl_multi_exec($multi, $running);
            curl_multi_select($multi, 0.05);
            preg_match_all('/^event: slot\ndata: (.+)$/m', $buffer, $m);
            $events = array_values(array_filter(
                array_map(static fn (string $json): array => json_decode($json, true), $m[1]),
                static fn (array $event): bool => $event['event'] !== 'changed'
            ));
        } while (count($events) < $count && microtime(true) < $deadline && $running);
        return $events;
    }

    public function testAWatchingPageHearsHoldsReleasesAndBookingsAtOnce(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('the extension publishes the lock events');
        }
        $day = self::day();
        $room = self::room();
        $buffer = '';
        $stream = curl_init(Site::url('/rp-events?' . http_build_query(['date' => $day, 'resource' => $room])));
        curl_setopt_array($stream, [
            CURLOPT_TIMEOUT => 10,
            CURLOPT_WRITEFUNCTION => static function ($curl, string $data) use (&$buffer): int {
                $buffer .= $data;
                return strlen($data);
            },
        ]);
        $multi = curl_multi_init();
        curl_multi_add_handle($multi, $stream);
        try {
            $deadline = microtime(true) + 3;
            while (!str_contains($buffer, ': connected') && microtime(true) < $deadline) {
                curl_multi_exec($multi, $running);
                curl_multi_select($multi, 0.05);
            }
            $this->assertStringContainsString(': connected', $buffer, 'the relay answers through nginx');
            $this->assertSame(200, curl_getinfo($stream, CURLINFO_RESPONSE_CODE));

            $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
            $slot = ['date' => $day, 'time' => '10:00', 'resource' => $room];
            $hold = Site::rest('POST', 'redis-persona/v1/slots/lock', $slot + ['owner' => 'Ada Lovelace'], $ip);
            $this->assertSame(201, $hold['status'], $hold['body']);
            $started = microtime(true);
            $events = self::events($multi, $buffer, 1, $started + 2);
            $this->assertSame([['event' => 'acquired', 'time' => '10:00']], $events);
            $this->assertLessThan(1.0, microtime(true) - $started, 'heard within a second');

            $email = 'live-' . bin2hex(random_bytes(3)) . '@example.test';
            $identity_token = Site::wp(sprintf(
                'echo RedisPersona\WordPress\RestOtpController::issue_token(%s, time() + 600);',
                var_export($email, true)
            ));
            $body = $slot + ['token' => $hold['json']['token'], 'identity' => $email, 'identity_token' => $identity_token];
            $booked = Site::rest('POST', 'redis-persona/v1/bookings', $body, $ip);
            $this->assertSame(201, $booked['status']);
            $events = self::events($multi, $buffer, 2, microtime(true) + 2);
            $this->assertSame(['event' => 'released', 'time' => '10:00'], $events[1] ?? null, 'the booking released the hold');

            // A cancellation has no hold to release: it is announced on the day's channel.
            $cancelled = Site::rest('DELETE', 'redis-persona/v1/bookings/' . $booked['json']['reference'], null, ['auth' => Site::admin()]);
            $this->assertSame(200, $cancelled['status'], $cancelled['body']);
            $started = microtime(true);
            $events = self::events($multi, $buffer, 3, $started + 2);
            $this->assertSame('10:00', $events[2]['time'] ?? null, 'the cancellation was heard: ' . $buffer);
            $this->assertLessThan(1.0, microtime(true) - $started, 'heard within a second');
            $this->assertStringNotContainsString('Ada', $buffer, 'owners never leave the site');
            $this->assertStringNotContainsString((string) $hold['json']['fence'], $buffer);
        } finally {
            curl_multi_remove_handle($multi, $stream);
            curl_close($stream);
            curl_multi_close($multi);
        }
        $bad = Site::get('/rp-events?date=x&resource=' . $room);
        $this->assertSame(400, $bad['status']);
    }
}
