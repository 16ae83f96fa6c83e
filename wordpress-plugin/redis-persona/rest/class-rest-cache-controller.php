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
    private Invalidation $invalidation;
    private Preload $preload;
    private PagePreload $page_preload;

    public function __construct(Backend $backend, Invalidation $invalidation, Preload $preload, PagePreload $page_preload)
    {
        parent::__construct($backend);
        $this->invalidation = $invalidation;
        $this->preload = $preload;
        $this->page_preload = $page_preload;
        $this->rest_base = 'cache';
    }

    public function register_routes(): void
    {
        $this->route('/flush', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'flush'],
                'permission_callback' => [$this, 'manage_permissions_check'],
                'args' => [],
            ],
        ]);
        $this->route('/warm', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'start_warm'],
                'permission_callback' => [$this, 'manage_permissions_check'],
                'args' => self::warm_args(),
            ],
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'warm_progress'],
                'permission_callback' => [$this, 'manage_permissions_check'],
                'args' => self::warm_args(),
            ],
        ]);
    }

    public function flush(WP_REST_Request $request)
    {
        return $this->guard(function () use ($request) {
            $this->invalidation->flush();
            return $this->respond(['flushed' => true, 'mode' => $this->backend->mode()], $request);
        });
    }

    /** @return array<string, mixed> */
    private static function warm_args(): array
    {
        return [
            'pages' => [
                'description' => __('Whole pages (the page tier) instead of post content.', 'redis-persona'),
                'type' => 'boolean',
                'default' => false,
            ],
        ];
    }

    /** @return Preload|PagePreload */
    private function job(WP_REST_Request $request)
    {
        return $request->get_param('pages') ? $this->page_preload : $this->preload;
    }

    public function start_warm(WP_REST_Request $request)
    {
        return $this->guard(function () use ($request) {
            $job = $this->job($request);
            $job->warm_all();
            // The first batch now: progress moves even where WP-Cron is slow.
            $job->run();
            return $this->respond($job->progress(), $request, 202);
        });
    }

    public function warm_progress(WP_REST_Request $request)
    {
        return $this->guard(function () use ($request) {
            $progress = $this->job($request)->progress();
            if ($progress['next_run'] > 0 && $progress['next_run'] < time() - 5) {
                spawn_cron();
            }
            return $this->respond($progress, $request);
        });
    }

    /** @return array<string, mixed> flush's body, or warm's progress */
    public function get_item_schema(): array
    {
        $int = ['type' => 'integer', 'context' => ['view']];
        return $this->object_schema('redis-persona-cache', [
            'flushed' => [
                'description' => __('Every cached variant was dropped (POST /cache/flush).', 'redis-persona'),
                'type' => 'boolean',
            ],
            'mode' => [
                'description' => __('The backend serving this request.', 'redis-persona'),
                'type' => 'string',
                'enum' => ['redis', 'fallback'],
            ],
        ] + self::progress_schema($int));
    }

    /**
     * Warm-all progress, as Preload::progress() reports it.
     *
     * @param array<string, mixed> $int
     * @return array<string, mixed>
     */
    private static function progress_schema(array $int): array
    {
        return [
            'total' => ['description' => __('Posts to warm.', 'redis-persona')] + $int,
            'done' => ['description' => __('Posts warmed so far.', 'redis-persona')] + $int,
            'failed' => ['description' => __('Posts that failed to render.', 'redis-persona')] + $int,
            'queued' => ['description' => __('Posts still queued.', 'redis-persona')] + $int,
            'running' => ['description' => __('Whether a warm-all is in progress.', 'redis-persona'), 'type' => 'boolean'],
            'started' => ['description' => __('When it started (Unix time).', 'redis-persona')] + $int,
            'finished' => ['description' => __('When it finished (Unix time, 0: not yet).', 'redis-persona')] + $int,
            'next_run' => ['description' => __('When the next batch is due (Unix time, 0: none).', 'redis-persona')] + $int,
        ];
    }
}
