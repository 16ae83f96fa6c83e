<?php

/**
 * GET /health: public callers see status and mode (rate-limited); managers
 * the extension's full health report.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestHealthController extends RestController
{
    private Health $health;

    public function __construct(Backend $backend, Booking $booking, Health $health)
    {
        parent::__construct($backend, $booking);
        $this->health = $health;
        $this->rest_base = 'health';
    }

    public function register_routes(): void
    {
        $this->route('', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'get_item'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => [],
            ],
        ]);
    }

    /** @param WP_REST_Request $request */
    public function get_item($request)
    {
        return $this->guard(function () use ($request) {
            if (!$this->is_manager()) {
                $limited = $this->limit('rest-health');
                if ($limited !== null) {
                    return $limited;
                }
            }
            return $this->respond($this->health->report(), $request);
        });
    }

    /**
     * Managers get the whole report; everyone else its status and mode.
     *
     * @param array<string, mixed> $item
     * @param WP_REST_Request $request
     */
    public function prepare_item_for_response($item, $request): WP_REST_Response
    {
        if (!$this->is_manager()) {
            $item = ['status' => $item['status'], 'mode' => $item['mode']];
        }
        return new WP_REST_Response($item, 200);
    }

    /** @return array<string, mixed> */
    public function get_item_schema(): array
    {
        $string = ['type' => 'string', 'context' => ['view']];
        return $this->object_schema('redis-persona-health', [
            'status' => [
                'description' => __('"ok" on Redis, "degraded" on the database fallback.', 'redis-persona'),
                'enum' => ['ok', 'degraded'],
            ] + $string,
            'mode' => [
                'description' => __('The backend serving this request.', 'redis-persona'),
                'enum' => ['redis', 'fallback'],
            ] + $string,
            'reason' => ['description' => __('Why the fallback is used (managers).', 'redis-persona'), 'type' => ['string', 'null']],
            'extension' => [
                'description' => __('The extension version, if loaded (managers).', 'redis-persona'),
                'type' => ['string', 'null'],
            ],
            'url' => ['description' => __('The Redis URL, password masked (managers).', 'redis-persona')] + $string,
            'topology' => [
                'description' => __(
                    'The configured topology: mode (single, cluster, sentinel), seeds or sentinels (passwords masked), '
                    . 'service, and the errors that keep it unused (managers). The nodes that answer are in redis.topology.',
                    'redis-persona'
                ),
                'type' => 'object',
            ],
            'prefix' => ['description' => __('This site\'s key prefix (managers).', 'redis-persona')] + $string,
            'personas' => ['description' => __('Persona slugs and labels (managers).', 'redis-persona'), 'type' => 'object'],
            'default_persona' => ['description' => __('The default persona (managers).', 'redis-persona')] + $string,
            'outage_since' => [
                'description' => __('When the current outage began (managers).', 'redis-persona'),
                'type' => ['integer', 'null'],
            ],
            'redis' => ['description' => __('The extension\'s health() report (managers).', 'redis-persona'), 'type' => ['object', 'null']],
        ]);
    }
}
