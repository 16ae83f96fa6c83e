<?php

/**
 * The plugin's own bookings: turning a verified visitor's hold into a
 * booking (BookingStore checks the hold's token and fence in the same
 * statement that writes it), cancelling, and the confirmation mail with its
 * signed cancel link (CancelLink).
 *
 * After a booking is written its hold is released (the booking now keeps the
 * slot), cached availability of the day is dropped, and
 * `redis_persona_booking_created` fires with the booking. Releasing a Redis
 * hold publishes the lock's `released` event, so open booking pages refetch
 * the day and see the slot booked; when the release published nothing (a
 * hold taken in fallback mode, or already gone) and whenever a booking is
 * cancelled, Booking::announce() publishes the change instead.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Bookings
{
    private Backend $backend;
    private Booking $booking;
    private BookingStore $store;

    public function __construct(Backend $backend, Booking $booking, BookingStore $store)
    {
        $this->backend = $backend;
        $this->booking = $booking;
        $this->store = $store;
    }

    public function store(): BookingStore
    {
        return $this->store;
    }

    /** The identity's keyed hash: what a booking keeps to find an identity's bookings without its address. */
    public static function identity_hash(string $identity): string
    {
        return hash_hmac('sha256', 'identity:' . strtolower(trim($identity)), wp_salt('auth'));
    }

    /**
     * Books the held slot for a verified identity.
     *
     * @return array{result: 'created'|'repeated'|'booked'|'stale'|'lost', booking: array<string, mixed>|null}
     */
    public function confirm(string $date, string $time, string $resource, string $token, string $identity, string $client_key = ''): array
    {
        $identity = strtolower(trim($identity));
        /**
         * Filters whether a booking keeps the visitor's email address (for
         * the site's staff and the personal-data exporter). Its keyed hash
         * is kept either way.
         *
         * @param bool   $keep
         * @param string $identity
         */
        $keep_email = (bool) apply_filters('redis_persona_booking_keep_email', true, $identity);
        $outcome = $this->store->book($date, $time, $resource, $token, [
            'identity_hash' => self::identity_hash($identity),
            'email' => $keep_email ? $identity : '',
            'mode' => $this->backend->mode(),
        ]);
        if ($outcome['result'] !== 'created' || $outcome['booking'] === null) {
            return $outcome;
        }
        $booking = $outcome['booking'];
        $published = false;
        try {
            // The booking keeps the slot now; a failed release only leaves a
            // hold that expires on its own.
            $released = $this->booking->unlock($date, $time, $resource, $token, $client_key);
            $published = $released && !StoreRules::is_fallback_token($token) && $this->backend->mode() === 'redis';
        } catch (\Throwable $e) {
            $this->backend->report($e);
        }
        $this->booking->booking_changed($date, $resource);
        if (!$published) {
            $this->announce($date, $time, $resource);
        }
        $this->mail_after_response($identity, $booking);
        /**
         * Fires after the plugin stored a booking (not for external ones).
         *
         * @param array<string, mixed> $booking reference, date, time, resource, fence, status, created_at.
         */
        do_action('redis_persona_booking_created', self::public_fields($booking));
        return $outcome;
    }

    /** Cancels an active booking; false when it was not active. */
    public function cancel(string $reference): bool
    {
        $booking = $this->store->find($reference);
        if ($booking === null || !$this->store->cancel($reference)) {
            return false;
        }
        $this->booking->booking_changed($booking['date'], $booking['resource']);
        $this->announce($booking['date'], $booking['time'], $booking['resource']);
        /**
         * Fires after a booking of the plugin was cancelled.
         *
         * @param array<string, mixed> $booking
         */
        do_action('redis_persona_booking_cancelled', self::public_fields($booking));
        return true;
    }

    /** Reports a failure (`redis_persona_error`) as the backend does. */
    public function report(\Throwable $error): void
    {
        $this->backend->report($error);
    }

    /** Live pages hear of the change; a failure to tell them never undoes the booking's change. */
    private function announce(string $date, string $time, string $resource): void
    {
        try {
            $this->booking->announce($date, $time, $resource);
        } catch (\Throwable $e) {
            $this->backend->report($e);
        }
    }

    /**
     * What may leave the site about a booking (no identity hash).
     *
     * @param array<string, mixed> $booking
     * @return array<string, mixed>
     */
    public static function public_fields(array $booking): array
    {
        $fields = ['reference', 'date', 'time', 'resource', 'fence', 'status', 'created_at', 'cancelled_at'];
        return array_intersect_key($booking, array_flip($fields));
    }

    /**
     * The confirmation is mailed after the response was sent, as codes are.
     *
     * @param array<string, mixed> $booking
     */
    private function mail_after_response(string $identity, array $booking): void
    {
        add_action('shutdown', static function () use ($identity, $booking): void {
            if (function_exists('fastcgi_finish_request')) {
                fastcgi_finish_request();
            }
            self::send_confirmation($identity, $booking);
        }, PHP_INT_MAX);
    }

    /** @param array<string, mixed> $booking */
    public static function send_confirmation(string $identity, array $booking): void
    {
        $site = wp_specialchars_decode(get_bloginfo('name'), ENT_QUOTES);
        wp_mail(
            $identity,
            /* translators: 1: site name, 2: booking reference */
            sprintf(__('%1$s: booking %2$s confirmed', 'redis-persona'), $site, $booking['reference']),
            sprintf(
                /* translators: 1: reference, 2: resource, 3: date, 4: time, 5: cancel link */
                __(
                    // phpcs:ignore Generic.Files.LineLength.TooLong -- one literal, so translation tools see it whole
                    "Your booking %1\$s is confirmed: %2\$s on %3\$s at %4\$s.\n\nTo cancel it, open this link and press the button:\n%5\$s",
                    'redis-persona'
                ),
                $booking['reference'],
                $booking['resource'],
                $booking['date'],
                $booking['time'],
                CancelLink::url((string) $booking['reference'])
            )
        );
    }
}
