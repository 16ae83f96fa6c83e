<?php

/**
 * What the booking widget (assets/booking.js) is given: the REST root, the
 * bookable window, the live slot stream's URL when the site has one (filter
 * `redis_persona_slot_events_url`; '' makes the widget use the heartbeat),
 * and every string it shows, translated here.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingWidget
{
    /** @return array<string, mixed> */
    public static function config(): array
    {
        $today = new \DateTimeImmutable('today', wp_timezone());
        /**
         * Filters the URL of the live slot event stream (Server-Sent Events).
         * Empty: the widget follows changes through the heartbeat.
         *
         * @param string $url
         */
        $events = defined('REDIS_PERSONA_EVENTS_URL') ? (string) REDIS_PERSONA_EVENTS_URL : '';
        $events = apply_filters('redis_persona_slot_events_url', $events);
        return [
            'root' => esc_url_raw(rest_url('redis-persona/v1/')),
            'today' => $today->format('Y-m-d'),
            'lastDay' => $today->modify('+' . Policy::booking_window_days() . ' days')->format('Y-m-d'),
            'events' => is_string($events) ? esc_url_raw($events) : '',
            // The site's offset from UTC now, so the widget greys out past
            // times of today by the visitor's clock (right on a cached page too).
            'utcOffset' => wp_timezone()->getOffset(new \DateTimeImmutable('now')),
            'i18n' => self::strings(),
        ];
    }

    /** @return array<string, string> */
    public static function strings(): array
    {
        return [
            'dateLabel' => __('Day', 'redis-persona'),
            'times' => __('Times', 'redis-persona'),
            'emailLabel' => __('Your email', 'redis-persona'),
            'codeLabel' => __('Code from the email', 'redis-persona'),
            'sendCode' => __('Send me a code', 'redis-persona'),
            'confirm' => __('Confirm booking', 'redis-persona'),
            /* translators: %s: a time of day */
            'bookedSlot' => __('%s (booked)', 'redis-persona'),
            /* translators: %s: a time of day */
            'heldSlot' => __('%s (held)', 'redis-persona'),
            /* translators: %s: a time of day */
            'held' => __('%s is held for you. Enter your email to confirm.', 'redis-persona'),
            /* translators: %s: minutes:seconds */
            'countdown' => __('Your hold ends in %s.', 'redis-persona'),
            'expired' => __('Your hold has ended. Pick a time again.', 'redis-persona'),
            'taken' => __('Sorry, someone else just took this slot.', 'redis-persona'),
            'sent' => __('We sent a code to your email.', 'redis-persona'),
            'badEmail' => __('Enter a valid email address.', 'redis-persona'),
            'wrong' => __('That code did not work.', 'redis-persona'),
            'reverify' => __('Your verification has expired. Request a new code.', 'redis-persona'),
            /* translators: %s: booking reference */
            'booked' => __('Booked. Your booking reference is %s.', 'redis-persona'),
            /* translators: %s: booking reference */
            'reference' => __('Reference: %s. A confirmation with a cancel link was mailed to you.', 'redis-persona'),
            /* translators: %s: seconds */
            'wait' => __('Too many attempts; try again in %s seconds.', 'redis-persona'),
            'holds' => __('You already hold as many slots as you may. Confirm or release one first.', 'redis-persona'),
            'error' => __('Something went wrong; please try again.', 'redis-persona'),
        ];
    }
}
