<?php

/**
 * The signed cancel link of a confirmation mail and the page it opens.
 *
 * The link carries the reference and an HMAC of it (the cancel token, also
 * accepted by `DELETE /bookings/{reference}`). Opening it (GET) only shows
 * the booking and a button: mail scanners that prefetch links cancel
 * nothing. The button POSTs the token back, and only that cancels. The page
 * is never cached (DONOTCACHEPAGE, no-cache headers).
 *
 * Once the slot's time has passed (in the site's timezone) the link cancels
 * nothing: a visitor cannot free a slot that was already used or missed.
 * The site's managers still can (Bookings screen, REST).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class CancelLink
{
    public const REFERENCE_PATTERN = '^RP-[0-9A-Z]{10}$';
    private const QUERY = 'rp_cancel';

    public static function token(string $reference): string
    {
        return substr(hash_hmac('sha256', 'cancel:' . $reference, wp_salt('auth')), 0, 40);
    }

    public static function check(string $reference, string $token): bool
    {
        return $token !== '' && hash_equals(self::token($reference), $token);
    }

    public static function url(string $reference): string
    {
        return add_query_arg([self::QUERY => $reference, 'token' => self::token($reference)], home_url('/'));
    }

    /** template_redirect: answers the cancel page when the link's query is present. */
    public static function handle(Bookings $bookings): void
    {
        $reference = isset($_GET[self::QUERY]) && is_string($_GET[self::QUERY]) ? sanitize_text_field(wp_unslash($_GET[self::QUERY])) : '';
        if ($reference === '') {
            return;
        }
        if (!defined('DONOTCACHEPAGE')) {
            define('DONOTCACHEPAGE', true);
        }
        nocache_headers();
        $post = ($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST';
        $source = $post ? $_POST : $_GET;
        $token = isset($source['token']) && is_string($source['token']) ? sanitize_text_field(wp_unslash($source['token'])) : '';
        $valid = preg_match('/' . self::REFERENCE_PATTERN . '/D', $reference) === 1 && self::check($reference, $token);
        $booking = $valid ? $bookings->store()->find($reference) : null;
        if ($booking === null) {
            $invalid = '<p>' . esc_html__('This cancel link is not valid.', 'redis-persona') . '</p>';
            self::page(__('Cancel a booking', 'redis-persona'), $invalid, 404);
        }
        $summary = sprintf(
            /* translators: 1: reference, 2: resource, 3: date, 4: time */
            __('Booking %1$s: %2$s on %3$s at %4$s.', 'redis-persona'),
            $booking['reference'],
            $booking['resource'],
            $booking['date'],
            $booking['time']
        );
        $confirmed = $booking['status'] === BookingStore::CONFIRMED;
        if ($confirmed && Booking::is_past($booking['date'], $booking['time'])) {
            $result = '<p class="rp-cancel-result">'
                . esc_html__('The time of this booking has passed: it can no longer be cancelled here.', 'redis-persona') . '</p>';
            self::page(__('Cancel a booking', 'redis-persona'), '<p>' . esc_html($summary) . '</p>' . $result, $post ? 409 : 200);
        }
        if ($post) {
            try {
                $cancelled = $bookings->cancel($reference);
            } catch (BookingStorageError $e) {
                $bookings->report($e);
                $failed = '<p role="status" class="rp-cancel-result">'
                    . esc_html__('Your booking could not be cancelled right now; please try again later.', 'redis-persona') . '</p>';
                self::page(__('Cancel a booking', 'redis-persona'), '<p>' . esc_html($summary) . '</p>' . $failed, 500);
            }
            $message = $cancelled || $booking['status'] === BookingStore::CANCELLED
                ? __('Your booking is cancelled.', 'redis-persona')
                : __('This booking could not be cancelled.', 'redis-persona');
            $result = '<p role="status" class="rp-cancel-result">' . esc_html($message) . '</p>';
            self::page(__('Booking cancelled', 'redis-persona'), '<p>' . esc_html($summary) . '</p>' . $result, 200);
        }
        if ($booking['status'] === BookingStore::CANCELLED) {
            $result = '<p class="rp-cancel-result">' . esc_html__('This booking is already cancelled.', 'redis-persona') . '</p>';
            self::page(__('Booking cancelled', 'redis-persona'), '<p>' . esc_html($summary) . '</p>' . $result, 200);
        }
        $form = sprintf(
            '<form method="post" action="%s"><input type="hidden" name="token" value="%s">'
            . '<p><button type="submit" class="button rp-cancel-button">%s</button></p></form>',
            esc_url(add_query_arg([self::QUERY => $reference], home_url('/'))),
            esc_attr($token),
            esc_html__('Cancel this booking', 'redis-persona')
        );
        self::page(__('Cancel your booking?', 'redis-persona'), '<p>' . esc_html($summary) . '</p>' . $form, 200);
    }

    /** Prints a small standalone page and ends the request. */
    private static function page(string $title, string $body, int $status): void
    {
        status_header($status);
        header('Content-Type: text/html; charset=utf-8');
        header('X-Robots-Tag: noindex');
        printf(
            '<!DOCTYPE html><html %s><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            . '<meta name="robots" content="noindex"><title>%s</title></head>'
            . '<body style="font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em"><h1>%s</h1>%s</body></html>',
            get_language_attributes(), // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped by core
            esc_html($title),
            esc_html($title),
            $body // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts above
        );
        exit;
    }
}
