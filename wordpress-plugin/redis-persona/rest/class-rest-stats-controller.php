<?php

/**
 * GET /stats (managers): days of hits and misses, popular posts, recent
 * invalidations.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_REST_Request;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestStatsController extends RestController
{
    public function __construct(Backend $backend)
    {
        parent::__construct($backend);
        $this->rest_base = 'stats';
    }

    public function register_routes(): void
    {
        $this->route('', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'get_item'],
                'permission_callback' => [$this, 'manage_permissions_check'],
                'args' => [
                    'days' => [
                        'description' => __('How many days, ending today (UTC).', 'redis-persona'),
                        'type' => 'integer',
                        'minimum' => 1,
                        'maximum' => 90,
                        'default' => 7,
                    ],
                ],
            ],
        ]);
    }

    /** @param WP_REST_Request $request */
    public function get_item($request)
    {
        return $this->guard(function () use ($request) {
            $days = (int) $request['days'];
            $backend = $this->backend;
            $popular = [];
            foreach ($backend->run(fn (StatsStore $s) => $s->popular(10)) as $row) {
                $popular[] = $row + ['title' => get_the_title((int) $row['post_id'])];
            }
            return $this->respond([
                'mode' => $backend->mode(),
                'days' => $backend->run(fn (StatsStore $s) => $s->stats($days)),
                'popular' => $popular,
                'recent' => $backend->run(fn (StatsStore $s) => $s->recent(20)),
            ], $request);
        });
    }

    /** @return array<string, mixed> */
    public function get_item_schema(): array
    {
        $rows = ['type' => 'array', 'items' => ['type' => 'object']];
        return $this->object_schema('redis-persona-stats', [
            'mode' => [
                'description' => __('The backend serving this request.', 'redis-persona'),
                'type' => 'string',
                'enum' => ['redis', 'fallback'],
            ],
            'days' => ['description' => __('Hits and misses per day (empty on the fallback).', 'redis-persona')] + $rows,
            'popular' => ['description' => __('The most viewed posts, with titles.', 'redis-persona')] + $rows,
            'recent' => ['description' => __('The latest invalidations.', 'redis-persona')] + $rows,
        ]);
    }
}
