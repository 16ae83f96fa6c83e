<?php

/**
 * GET /availability: a day's locked, booked and unavailable times for one
 * resource. Public and rate-limited per IP.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_REST_Request;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestAvailabilityController extends RestController
{
    public function __construct(Backend $backend, Booking $booking)
    {
        parent::__construct($backend, $booking);
        $this->rest_base = 'availability';
    }

    public function register_routes(): void
    {
        $this->route('', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'get_item'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => ['date' => self::date_arg(), 'resource' => self::resource_arg()],
            ],
        ]);
    }

    /** @param WP_REST_Request $request */
    public function get_item($request)
    {
        return $this->limited('rest-read', function () use ($request) {
            return $this->respond($this->booking->availability($request['date'], $request['resource']), $request);
        });
    }

    /** @return array<string, mixed> */
    public function get_item_schema(): array
    {
        $times = ['type' => 'array', 'items' => ['type' => 'string']];
        return $this->object_schema('redis-persona-availability', [
            'date' => ['description' => __('Day as YYYY-MM-DD.', 'redis-persona'), 'type' => 'string'],
            'resource' => ['description' => __('What is booked.', 'redis-persona'), 'type' => 'string'],
            'locked' => ['description' => __('Times held by someone (HH:MM).', 'redis-persona')] + $times,
            'booked' => ['description' => __('Times booked (filter redis_persona_booked_slots).', 'redis-persona')] + $times,
            'unavailable' => ['description' => __('Locked or booked, sorted.', 'redis-persona')] + $times,
        ]);
    }
}
