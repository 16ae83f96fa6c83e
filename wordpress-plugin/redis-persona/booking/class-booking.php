<?php

/**
 * Booking slots on top of the store: locks, the public view of a day, and
 * availability (locked ∪ booked). Booked slots are the plugin's own bookings
 * (BookingStore, read live) plus those of the site's booking system, if it
 * has one, through the `redis_persona_booked_slots` filter; the filter's
 * answer is cached for 30 s per date and resource and dropped when the site
 * fires `do_action('redis_persona_booking_changed', $date, $resource)`.
 * A booked slot cannot be locked: the booking is looked up before the lock
 * is taken (cheap refusal) and again once it is held, since a booking can be
 * written between the two (its hold was released at that moment); a lock
 * won on a slot booked meanwhile is given back at once.
 *
 * Hoarding is capped: a client address (ClientAddress::limit_key) holds at
 * most Policy::max_holds() slots at once, each for at most
 * Policy::max_hold_seconds(), on days from today to Policy::booking_window_days()
 * ahead in the site's timezone. The cap counts "hold" rows in the state
 * table in both modes; it is approximate under a race (two parallel holds
 * may both see room for one more), which is fine for a cap.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Booking
{
    public const DATE_PATTERN = '^\d{4}-\d{2}-\d{2}$';
    public const TIME_PATTERN = '^([01]\d|2[0-3]):[0-5]\d$';
    public const RESOURCE_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
    private const BOOKED_TTL = 30;

    private Backend $backend;
    private StateTable $table;
    private BookingStore $bookings;

    public function __construct(Backend $backend, StateTable $table, ?BookingStore $bookings = null)
    {
        $this->backend = $backend;
        $this->table = $table;
        $this->bookings = $bookings ?? new BookingStore();
    }

    /** Today in the site's timezone, as YYYY-MM-DD. */
    public static function today(): string
    {
        return (new \DateTimeImmutable('now', wp_timezone()))->format('Y-m-d');
    }

    /** Whether a day lies in the bookable window: today to N days ahead (site timezone). */
    public static function bookable_date(string $date): bool
    {
        $today = new \DateTimeImmutable('today', wp_timezone());
        $last = $today->modify('+' . Policy::booking_window_days() . ' days')->format('Y-m-d');
        return $date >= $today->format('Y-m-d') && $date <= $last;
    }

    /** Whether a slot's start lies in the past (today, earlier time). */
    public static function is_past(string $date, string $time): bool
    {
        $now = new \DateTimeImmutable('now', wp_timezone());
        return $date < $now->format('Y-m-d') || ($date === $now->format('Y-m-d') && $time <= $now->format('H:i'));
    }

    /**
     * One attempt against a named limit of Policy::RATE_LIMITS for a client
     * key; null when the limit is switched off.
     *
     * @return array{allowed: bool, remaining: int, retry_after: int}|null
     */
    public function attempt(string $name, string $client_key): ?array
    {
        [$limit, $window] = Policy::rate_limit($name);
        if ($limit <= 0) {
            return null;
        }
        return $this->backend->run(fn (LimitStore $s) => $s->attempt($name, $limit, $window, $client_key));
    }

    /** Seconds until one of the client's holds ends, or 0 when it may hold another slot. */
    public function hold_cap_wait(string $client_key): int
    {
        $max = Policy::max_holds();
        if ($max === 0) {
            return 0;
        }
        $holds = $this->table->with_prefix(self::hold_prefix($client_key), $max + 1);
        if (count($holds) < $max) {
            return 0;
        }
        $first = min(array_column($holds, 'expires_at'));
        return max(1, (int) ceil(($first - StateTable::now_ms()) / 1000));
    }

    private static function hold_prefix(string $client_key): string
    {
        return 'hold:' . substr(hash('sha256', $client_key), 0, 24) . ':';
    }

    private static function hold_name(string $client_key, string $date, string $time, string $resource): string
    {
        return self::hold_prefix($client_key) . $date . ':' . $resource . ':' . $time;
    }

    /** A real calendar day, years 2000–2999 (what the extension accepts). */
    public static function valid_date(string $date): bool
    {
        if (preg_match('/' . self::DATE_PATTERN . '/D', $date) !== 1) {
            return false;
        }
        [$y, $m, $d] = array_map('intval', explode('-', $date));
        return $y >= 2000 && $y <= 2999 && checkdate($m, $d, $y);
    }

    /** HH:MM, 00:00 to 23:59. */
    public static function valid_time($time): bool
    {
        return is_string($time) && preg_match('/' . self::TIME_PATTERN . '/D', $time) === 1;
    }

    /** 1 to 64 bytes of letters, digits, _ . - */
    public static function valid_resource($resource): bool
    {
        return is_string($resource) && preg_match('/' . self::RESOURCE_PATTERN . '/D', $resource) === 1;
    }

    /** @return array{token: string, fence: int, expires_at: float}|null null when held or booked */
    public function lock(string $date, string $time, string $resource, string $owner, int $ttl, string $client_key = ''): ?array
    {
        if ($this->bookings->is_booked($date, $time, $resource)) {
            return null;
        }
        $ttl = max(Policy::HOLD_MIN_TTL, min(Policy::max_hold_seconds(), $ttl));
        $lock = $this->backend->run(fn (SlotStore $s) => $s->lock($date, $time, $resource, $owner, $ttl));
        if ($lock !== null && $this->booked_meanwhile($date, $time, $resource, $lock['token'])) {
            return null;
        }
        if ($lock !== null && $client_key !== '') {
            $hold = self::hold_name($client_key, $date, $time, $resource);
            $this->table->put($hold, $lock['token'], 0, (int) ceil($lock['expires_at'] * 1000));
        }
        if ($lock !== null) {
            /** Fires after a slot was locked (token not included). */
            do_action('redis_persona_slot_locked', $date, $time, $resource, $owner);
        }
        return $lock;
    }

    /** Whether the slot was booked while its lock was being taken; if so the lock is given back. */
    private function booked_meanwhile(string $date, string $time, string $resource, string $token): bool
    {
        try {
            $booked = $this->bookings->is_booked($date, $time, $resource);
        } catch (\Throwable $e) {
            $this->backend->run(fn (SlotStore $s) => $s->unlock($date, $time, $resource, $token));
            throw $e;
        }
        if ($booked) {
            $this->backend->run(fn (SlotStore $s) => $s->unlock($date, $time, $resource, $token));
        }
        return $booked;
    }

    /**
     * Tells the pages watching a day that one of its slots changed (a
     * booking created without a lock event, or cancelled): in Redis mode a
     * lock event on the day's channel, which the live relay forwards.
     */
    public function announce(string $date, string $time, string $resource): void
    {
        $this->backend->run(fn (SlotStore $s) => $s->announce($date, $time, $resource));
    }

    public function unlock(string $date, string $time, string $resource, string $token, string $client_key = ''): bool
    {
        $released = $this->backend->run(fn (SlotStore $s) => $s->unlock($date, $time, $resource, $token));
        if ($released && $client_key !== '') {
            $this->table->delete_if(self::hold_name($client_key, $date, $time, $resource), $token);
        }
        if ($released) {
            /** Fires after a slot was released by its holder. */
            do_action('redis_persona_slot_released', $date, $time, $resource);
        }
        return $released;
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl, string $client_key = ''): bool
    {
        $ttl = max(Policy::HOLD_MIN_TTL, min(Policy::max_hold_seconds(), $ttl));
        $extended = $this->backend->run(fn (SlotStore $s) => $s->extend($date, $time, $resource, $token, $ttl));
        if ($extended && $client_key !== '') {
            $this->table->extend_if(self::hold_name($client_key, $date, $time, $resource), $token, StateTable::now_ms() + $ttl * 1000);
        }
        return $extended;
    }

    /** @return array<string, array{time: string, owner: string, fence: int, expires_at: float}> */
    public function locked(string $date, string $resource): array
    {
        return $this->backend->run(fn (SlotStore $s) => $s->locked($date, $resource));
    }

    /** @return list<string> booked times: the plugin's own bookings and the filter's (cached 30 s) */
    public function booked(string $date, string $resource): array
    {
        $own = $this->bookings->booked_times($date, $resource);
        $times = array_values(array_unique(array_merge($own, $this->external_booked($date, $resource))));
        sort($times);
        return $times;
    }

    /** @return list<string> booked times from `redis_persona_booked_slots`, cached 30 s */
    private function external_booked(string $date, string $resource): array
    {
        $key = self::booked_key($date, $resource);
        $cached = $this->backend->run(fn (ValueStore $s) => $s->value_get($key));
        if (is_string($cached)) {
            $times = json_decode($cached, true);
            if (is_array($times)) {
                return $times;
            }
        }
        /**
         * Filters the slots already booked for a date and resource.
         *
         * @param string[] $times    Times as HH:MM.
         * @param string   $date     YYYY-MM-DD.
         * @param string   $resource
         */
        $times = apply_filters('redis_persona_booked_slots', [], $date, $resource);
        $times = array_values(array_unique(array_filter(
            is_array($times) ? $times : [],
            [self::class, 'valid_time']
        )));
        sort($times);
        $this->backend->run(fn (ValueStore $s) => $s->value_set($key, (string) wp_json_encode($times), self::BOOKED_TTL));
        return $times;
    }

    /** @return array{date: string, resource: string, locked: list<string>, booked: list<string>, unavailable: list<string>} */
    public function availability(string $date, string $resource): array
    {
        $locked = array_keys($this->locked($date, $resource));
        $booked = $this->booked($date, $resource);
        $unavailable = array_values(array_unique(array_merge($locked, $booked)));
        sort($unavailable);
        return [
            'date' => $date,
            'resource' => $resource,
            'locked' => array_values(array_map('strval', $locked)),
            'booked' => $booked,
            'unavailable' => $unavailable,
        ];
    }

    /** action redis_persona_booking_changed */
    public function booking_changed($date, $resource): void
    {
        if (
            is_string($date) && self::valid_date($date) && self::valid_resource($resource)
        ) {
            $key = self::booked_key($date, $resource);
            $this->backend->run(fn (ValueStore $s) => $s->value_delete($key));
        }
    }

    /**
     * Heartbeat: a page that sends `redis_persona_watch: {date, resource}`
     * receives `redis_persona_locked` (the locked times) with every beat.
     *
     * @param array<string, mixed> $response
     * @param array<string, mixed> $data
     * @return array<string, mixed>
     */
    public function heartbeat($response, $data): array
    {
        $response = is_array($response) ? $response : [];
        $watch = is_array($data) ? ($data['redis_persona_watch'] ?? null) : null;
        if (!is_array($watch)) {
            return $response;
        }
        $date = is_string($watch['date'] ?? null) ? $watch['date'] : '';
        $resource = is_string($watch['resource'] ?? null) ? $watch['resource'] : '';
        if (!self::valid_date($date) || !self::valid_resource($resource)) {
            return $response;
        }
        // Every beat costs a lookup: limited per client like the REST routes.
        $limit = $this->attempt('heartbeat', ClientAddress::limit_key());
        if ($limit !== null && !$limit['allowed']) {
            $response['redis_persona_locked'] = ['date' => $date, 'resource' => $resource, 'retry_after' => $limit['retry_after']];
            return $response;
        }
        $response['redis_persona_locked'] = [
            'date' => $date,
            'resource' => $resource,
            'times' => array_values(array_map('strval', array_keys($this->locked($date, $resource)))),
        ];
        return $response;
    }

    private static function booked_key(string $date, string $resource): string
    {
        return 'booked:' . $date . ':' . $resource;
    }
}
