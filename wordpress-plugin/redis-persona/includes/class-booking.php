<?php

/**
 * Booking slots on top of the store: locks, the public view of a day, and
 * availability (locked ∪ booked). Booked slots come from the site's booking
 * system through the `redis_persona_booked_slots` filter; they are cached
 * for 30 s per date and resource and dropped when the site fires
 * `do_action('redis_persona_booking_changed', $date, $resource)`.
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

    public function __construct(Backend $backend)
    {
        $this->backend = $backend;
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

    /** @return array{token: string, fence: int, expires_at: float}|null */
    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        $lock = $this->backend->run(fn (Store $s) => $s->lock($date, $time, $resource, $owner, $ttl));
        if ($lock !== null) {
            /** Fires after a slot was locked (token not included). */
            do_action('redis_persona_slot_locked', $date, $time, $resource, $owner);
        }
        return $lock;
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        $released = $this->backend->run(fn (Store $s) => $s->unlock($date, $time, $resource, $token));
        if ($released) {
            /** Fires after a slot was released by its holder. */
            do_action('redis_persona_slot_released', $date, $time, $resource);
        }
        return $released;
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        return $this->backend->run(fn (Store $s) => $s->extend($date, $time, $resource, $token, $ttl));
    }

    /** @return array<string, array{time: string, owner: string, fence: int, expires_at: float}> */
    public function locked(string $date, string $resource): array
    {
        return $this->backend->run(fn (Store $s) => $s->locked($date, $resource));
    }

    /** @return list<string> booked times, cached 30 s */
    public function booked(string $date, string $resource): array
    {
        $key = self::booked_key($date, $resource);
        $cached = $this->backend->run(fn (Store $s) => $s->value_get($key));
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
        $this->backend->run(fn (Store $s) => $s->value_set($key, (string) wp_json_encode($times), self::BOOKED_TTL));
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
            $this->backend->run(fn (Store $s) => $s->value_delete($key));
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
