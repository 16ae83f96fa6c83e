<?php

/**
 * Slot locks: GET /slots, POST /slots/lock, POST /slots/extend,
 * DELETE /slots/lock. Public and rate-limited per IP; owners and fences are
 * shown to managers only (prepare_item_for_response).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestSlotsController extends RestController
{
    public function __construct(Backend $backend, Booking $booking)
    {
        parent::__construct($backend, $booking);
        $this->rest_base = 'slots';
    }

    public function register_routes(): void
    {
        $day = ['date' => self::date_arg(), 'resource' => self::resource_arg()];
        $slot = $day + ['time' => self::time_arg()];
        $this->route('', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'list_locked'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => $day,
            ],
        ]);
        $this->route('/lock', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'lock'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => $slot + [
                    'owner' => self::strict([
                        'description' => __('Who holds the lock (shown to managers only).', 'redis-persona'),
                        'type' => 'string',
                        'minLength' => 1,
                        'maxLength' => 64,
                        'pattern' => '^[^\x00-\x1f\x7f]+$',
                    ]),
                    'ttl' => self::ttl_arg(false),
                ],
            ],
            [
                'methods' => WP_REST_Server::DELETABLE,
                'callback' => [$this, 'unlock'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => $slot + ['token' => self::token_arg()],
            ],
        ]);
        $this->route('/extend', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'extend'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => $slot + ['token' => self::token_arg(), 'ttl' => self::ttl_arg(false)],
            ],
        ]);
    }

    public function list_locked(WP_REST_Request $request)
    {
        return $this->limited('rest-read', function () use ($request) {
            return $this->respond([
                'date' => $request['date'],
                'resource' => $request['resource'],
                'locked' => $this->booking->locked($request['date'], $request['resource']),
            ], $request);
        });
    }

    public function lock(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $booking = $this->booking;
            if (Booking::is_past($request['date'], $request['time'])) {
                return new WP_Error('rest_invalid_param', __('This time has already passed.', 'redis-persona'), ['status' => 400]);
            }
            $client = ClientAddress::limit_key();
            $wait = $booking->hold_cap_wait($client);
            if ($wait > 0) {
                $response = self::too_many($wait);
                $response->set_data([
                    'code' => 'rp_too_many_holds',
                    'message' => __('You already hold as many slots as you may. Release one or book it first.', 'redis-persona'),
                    'data' => ['status' => 429, 'retry_after' => $wait, 'max_holds' => Policy::max_holds()],
                ]);
                return $response;
            }
            $owner = sanitize_text_field(is_string($request['owner']) ? $request['owner'] : '');
            if ($owner === '') {
                $owner = self::default_owner();
            }
            $lock = $booking->lock(
                $request['date'],
                $request['time'],
                $request['resource'],
                $owner,
                (int) $request['ttl'],
                $client
            );
            if ($lock === null) {
                return new WP_Error('rp_slot_held', __('This slot is already held.', 'redis-persona'), ['status' => 409]);
            }
            return $this->respond([
                'token' => $lock['token'],
                'fence' => $lock['fence'],
                'expires_at' => $lock['expires_at'],
                'date' => $request['date'],
                'time' => $request['time'],
                'resource' => $request['resource'],
            ], $request, 201);
        });
    }

    public function extend(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $ttl = (int) $request['ttl'];
            $extended = $this->booking->extend(
                $request['date'],
                $request['time'],
                $request['resource'],
                $request['token'],
                $ttl,
                ClientAddress::limit_key()
            );
            if (!$extended) {
                return self::not_holder();
            }
            return $this->respond(['extended' => true, 'expires_at' => microtime(true) + $ttl], $request);
        });
    }

    public function unlock(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $released = $this->booking->unlock(
                $request['date'],
                $request['time'],
                $request['resource'],
                $request['token'],
                ClientAddress::limit_key()
            );
            return $released ? $this->respond(['released' => true], $request) : self::not_holder();
        });
    }

    /**
     * Lock rows (GET /slots) show owners and fences to managers only.
     *
     * @param array<string, mixed> $item
     * @param WP_REST_Request $request
     */
    public function prepare_item_for_response($item, $request): WP_REST_Response
    {
        if (isset($item['locked']) && is_array($item['locked'])) {
            $manager = $this->is_manager();
            $locked = [];
            foreach ($item['locked'] as $lock) {
                $row = ['time' => $lock['time'], 'expires_at' => $lock['expires_at']];
                if ($manager) {
                    $row += ['owner' => $lock['owner'], 'fence' => $lock['fence']];
                }
                $locked[] = $row;
            }
            $item['locked'] = $locked;
        }
        return new WP_REST_Response($item, 200);
    }

    /** @return array<string, mixed> a lock, an extension, a release, or a day's locks */
    public function get_item_schema(): array
    {
        $string = ['type' => 'string'];
        $number = ['type' => 'number'];
        return $this->object_schema('redis-persona-slot', [
            'date' => ['description' => __('Day as YYYY-MM-DD.', 'redis-persona')] + $string,
            'time' => ['description' => __('Time of day as HH:MM.', 'redis-persona')] + $string,
            'resource' => ['description' => __('What is booked.', 'redis-persona')] + $string,
            'token' => ['description' => __('Proves the hold: needed to extend or release it.', 'redis-persona')] + $string,
            'fence' => ['description' => __('Grows with every lock of the slot (fencing token).', 'redis-persona'), 'type' => 'integer'],
            'expires_at' => ['description' => __('When the hold ends (Unix time).', 'redis-persona')] + $number,
            'extended' => ['description' => __('The hold was extended.', 'redis-persona'), 'type' => 'boolean'],
            'released' => ['description' => __('The hold was released.', 'redis-persona'), 'type' => 'boolean'],
            'locked' => [
                'description' => __('The day\'s held slots (owner and fence for managers).', 'redis-persona'),
                'type' => 'array',
                'items' => ['type' => 'object'],
            ],
        ]);
    }

    private static function not_holder(): WP_Error
    {
        return new WP_Error(
            'rp_not_holder',
            __('This token does not hold the slot (it expired, was released, or belongs to someone else).', 'redis-persona'),
            ['status' => 409]
        );
    }

    /** A logged-in user's id, else a pseudonym for the guest's address. */
    private static function default_owner(): string
    {
        $user = get_current_user_id();
        if ($user > 0) {
            return 'user:' . $user;
        }
        return 'guest:' . substr(hash_hmac('sha256', self::client_ip(), wp_salt('nonce')), 0, 12);
    }
}
