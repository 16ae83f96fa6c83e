<?php

/**
 * POST /cache/flush, POST /cache/warm (start "warm all" and run its first
 * batch) and GET /cache/warm (progress); managers only.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestCacheController extends RestController
{
    public function register_routes(): void
    {
        register_rest_route($this->namespace, '/cache/flush', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'flush'],
                'permission_callback' => [$this, 'can_manage'],
                'args' => [],
            ],
        ]);
        register_rest_route($this->namespace, '/cache/warm', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'start_warm'],
                'permission_callback' => [$this, 'can_manage'],
                'args' => [],
            ],
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'warm_progress'],
                'permission_callback' => [$this, 'can_manage'],
                'args' => [],
            ],
        ]);
    }

    public function flush(WP_REST_Request $request)
    {
        return $this->guard(function () {
            $this->plugin->invalidation()->flush();
            return new WP_REST_Response(['flushed' => true, 'mode' => $this->plugin->backend()->mode()], 200);
        });
    }

    public function start_warm(WP_REST_Request $request)
    {
        return $this->guard(function () {
            $preload = $this->plugin->preload();
            $preload->warm_all();
            // The first batch now: progress moves even where WP-Cron is slow.
            $preload->run();
            return new WP_REST_Response($preload->progress(), 202);
        });
    }

    public function warm_progress(WP_REST_Request $request)
    {
        return $this->guard(function () {
            $progress = $this->plugin->preload()->progress();
            if ($progress['next_run'] > 0 && $progress['next_run'] < time() - 5) {
                spawn_cron();
            }
            return new WP_REST_Response($progress, 200);
        });
    }
}
