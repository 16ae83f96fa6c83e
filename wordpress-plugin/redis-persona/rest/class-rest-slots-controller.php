<?php

/**
 * Booking routes: GET /slots, POST /slots/lock, POST /slots/extend,
 * DELETE /slots/lock, GET /availability. Public and rate-limited per IP;
 * owners and fences are shown to managers only.
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
    public function register_routes(): void
    {
        $day = ['date' => self::date_arg(), 'resource' => self::resource_arg()];
        $slot = $day + ['time' => self::time_arg()];
        register_rest_route($this->namespace, '/slots', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'list_locked'],
                'permission_callback' => [$this, 'is_public'],
                'args' => $day,
            ],
        ]);
        register_rest_route($this->namespace, '/slots/lock', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'lock'],
                'permission_callback' => [$this, 'is_public'],
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
                'permission_callback' => [$this, 'is_public'],
                'args' => $slot + ['token' => self::token_arg()],
            ],
        ]);
        register_rest_route($this->namespace, '/slots/extend', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'extend'],
                'permission_callback' => [$this, 'is_public'],
                'args' => $slot + ['token' => self::token_arg(), 'ttl' => self::ttl_arg(false)],
            ],
        ]);
        register_rest_route($this->namespace, '/availability', [
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'availability'],
                'permission_callback' => [$this, 'is_public'],
                'args' => $day,
            ],
        ]);
    }

    public function list_locked(WP_REST_Request $request)
    {
        return $this->limited('rest-read', function () use ($request) {
            $manager = $this->is_manager();
            $locked = [];
            foreach ($this->plugin->booking()->locked($request['date'], $request['resource']) as $lock) {
                $item = ['time' => $lock['time'], 'expires_at' => $lock['expires_at']];
                if ($manager) {
                    $item += ['owner' => $lock['owner'], 'fence' => $lock['fence']];
                }
                $locked[] = $item;
            }
            return new WP_REST_Response([
                'date' => $request['date'],
                'resource' => $request['resource'],
                'locked' => $locked,
            ], 200);
        });
    }

    public function lock(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $booking = $this->plugin->booking();
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
            return new WP_REST_Response([
                'token' => $lock['token'],
                'fence' => $lock['fence'],
                'expires_at' => $lock['expires_at'],
                'date' => $request['date'],
                'time' => $request['time'],
                'resource' => $request['resource'],
            ], 201);
        });
    }

    public function extend(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $ttl = (int) $request['ttl'];
            $extended = $this->plugin->booking()->extend(
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
            return new WP_REST_Response(['extended' => true, 'expires_at' => microtime(true) + $ttl], 200);
        });
    }

    public function unlock(WP_REST_Request $request)
    {
        return $this->limited('rest-lock', function () use ($request) {
            $released = $this->plugin->booking()->unlock(
                $request['date'],
                $request['time'],
                $request['resource'],
                $request['token'],
                ClientAddress::limit_key()
            );
            return $released ? new WP_REST_Response(['released' => true], 200) : self::not_holder();
        });
    }

    public function availability(WP_REST_Request $request)
    {
        return $this->limited('rest-read', function () use ($request) {
            return new WP_REST_Response(
                $this->plugin->booking()->availability($request['date'], $request['resource']),
                200
            );
        });
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
