<?php

/**
 * GET /health (public: status and mode; managers: the extension's full health
 * report) and GET /stats (managers: 7 days of hits and misses, popular posts,
 * recent invalidations).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestStatusController extends RestController
{
    public function register_routes(): void
    {
        register_rest_route($this->namespace, '/health', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'health'],
                'permission_callback' => [$this, 'is_public'],
                'args' => [],
            ],
        ]);
        register_rest_route($this->namespace, '/stats', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'stats'],
                'permission_callback' => [$this, 'can_manage'],
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

    public function health(WP_REST_Request $request)
    {
        return $this->guard(function () {
            if (!$this->is_manager()) {
                $limited = $this->limit('rest-health', 60, 60);
                if ($limited !== null) {
                    return $limited;
                }
            }
            $report = $this->plugin->health();
            if (!$this->is_manager()) {
                $report = ['status' => $report['status'], 'mode' => $report['mode']];
            }
            return new WP_REST_Response($report, 200);
        });
    }

    public function stats(WP_REST_Request $request)
    {
        return $this->guard(function () use ($request) {
            $days = (int) $request['days'];
            $backend = $this->plugin->backend();
            $popular = [];
            foreach ($backend->run(fn (Store $s) => $s->popular(10)) as $row) {
                $popular[] = $row + ['title' => get_the_title((int) $row['post_id'])];
            }
            return new WP_REST_Response([
                'mode' => $backend->mode(),
                'days' => $backend->run(fn (Store $s) => $s->stats($days)),
                'popular' => $popular,
                'recent' => $backend->run(fn (Store $s) => $s->recent(20)),
            ], 200);
        });
    }
}
