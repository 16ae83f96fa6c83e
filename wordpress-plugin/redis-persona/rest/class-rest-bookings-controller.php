<?php

/**
 * Bookings: POST /bookings (confirm a hold for a verified identity),
 * DELETE /bookings/{reference} (with the mailed cancel token until the
 * slot's time, or a manager at any time),
 * GET /bookings (managers: a day's or a resource's bookings).
 *
 * POST answers 201 with the new booking; 200 with the same booking when the
 * same hold is confirmed again (a double click, parallel retries); 409 when
 * the hold was lost or taken over, a newer fence exists, or the slot is
 * booked; 401 when the identity token does not prove this identity; 400 on
 * bad input, including a time of today that has passed.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_Error;
use WP_REST_Request;
use WP_REST_Server;

if (!defined('ABSPATH')) {
    exit;
}

final class RestBookingsController extends RestController
{
    private Bookings $bookings;

    public function __construct(Backend $backend, Booking $booking, Bookings $bookings)
    {
        parent::__construct($backend, $booking);
        $this->bookings = $bookings;
        $this->rest_base = 'bookings';
    }

    public function register_routes(): void
    {
        $slot = ['date' => self::date_arg(), 'resource' => self::resource_arg(), 'time' => self::time_arg()];
        $this->route('', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'create_item'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => $slot + [
                    'token' => self::token_arg(),
                    'identity' => [
                        'description' => __('The verified email address.', 'redis-persona'),
                        'type' => 'string',
                        'format' => 'email',
                        'required' => true,
                        'maxLength' => 254,
                    ],
                    'identity_token' => self::strict([
                        'description' => __('The token POST /otp/verify returned.', 'redis-persona'),
                        'type' => 'string',
                        'required' => true,
                        'maxLength' => 512,
                        'pattern' => '^[A-Za-z0-9_.-]+$',
                    ]),
                ],
            ],
            [
                'methods' => WP_REST_Server::READABLE,
                'callback' => [$this, 'get_items'],
                'permission_callback' => [$this, 'manage_permissions_check'],
                'args' => [
                    'date' => self::strict([
                        'description' => __('Only this day (YYYY-MM-DD).', 'redis-persona'),
                        'type' => 'string',
                        'pattern' => Booking::DATE_PATTERN,
                    ]),
                    'resource' => ['required' => false] + self::resource_arg(),
                    'status' => [
                        'description' => __('Only bookings with this status.', 'redis-persona'),
                        'type' => 'string',
                        'enum' => [BookingStore::CONFIRMED, BookingStore::CANCELLED],
                    ],
                    'per_page' => [
                        'description' => __('Bookings per page.', 'redis-persona'),
                        'type' => 'integer',
                        'minimum' => 1,
                        'maximum' => 500,
                        'default' => 100,
                    ],
                    'page' => ['description' => __('Page, from 1.', 'redis-persona'), 'type' => 'integer', 'minimum' => 1, 'default' => 1],
                ],
            ],
        ], [$this, 'get_collection_body_schema']);
        $this->route('/(?P<reference>RP-[0-9A-Z]{10})', [
            [
                'methods' => WP_REST_Server::DELETABLE,
                'callback' => [$this, 'delete_item'],
                'permission_callback' => [$this, 'delete_item_permissions_check'],
                'args' => [
                    'reference' => self::strict([
                        'description' => __('The booking reference.', 'redis-persona'),
                        'type' => 'string',
                        'pattern' => CancelLink::REFERENCE_PATTERN,
                    ]),
                    'cancel_token' => self::strict([
                        'description' => __('The token of the mailed cancel link (managers need none).', 'redis-persona'),
                        'type' => 'string',
                        'pattern' => '^[0-9a-f]{40}$',
                    ]),
                ],
            ],
        ]);
    }

    /** @param WP_REST_Request $request */
    public function create_item($request)
    {
        return $this->limited('booking-confirm', function () use ($request) {
            if (Booking::is_past($request['date'], $request['time'])) {
                return new WP_Error('rest_invalid_param', __('This time has already passed.', 'redis-persona'), ['status' => 400]);
            }
            $identity = strtolower(trim((string) $request['identity']));
            if (!RestOtpController::check_token((string) $request['identity_token'], $identity)) {
                return new WP_Error(
                    'rp_identity_unverified',
                    __('The identity token is invalid, expired, or for another address: verify the email again.', 'redis-persona'),
                    ['status' => 401]
                );
            }
            $outcome = $this->bookings->confirm(
                $request['date'],
                $request['time'],
                $request['resource'],
                $request['token'],
                $identity,
                ClientAddress::limit_key()
            );
            switch ($outcome['result']) {
                case 'created':
                    return $this->respond($outcome['booking'], $request, 201);
                case 'repeated':
                    return $this->respond($outcome['booking'], $request, 200);
                case 'booked':
                    return new WP_Error('rp_slot_booked', __('This slot is already booked.', 'redis-persona'), ['status' => 409]);
                case 'stale':
                    $message = __('A newer hold of this slot exists; hold it again.', 'redis-persona');
                    return new WP_Error('rp_stale_fence', $message, ['status' => 409]);
                default:
                    $message = __('Your hold of this slot ended or was taken over; hold it again.', 'redis-persona');
                    return new WP_Error('rp_hold_lost', $message, ['status' => 409]);
            }
        });
    }

    /** @param WP_REST_Request $request */
    public function get_items($request)
    {
        return $this->guard(function () use ($request) {
            $filters = [
                'date' => is_string($request['date']) ? $request['date'] : '',
                'resource' => is_string($request['resource']) ? $request['resource'] : '',
                'status' => is_string($request['status']) ? $request['status'] : '',
            ];
            $per_page = (int) $request['per_page'];
            $store = $this->bookings->store();
            $rows = $store->search($filters, $per_page, ((int) $request['page'] - 1) * $per_page, 'ASC');
            $response = rest_ensure_response([
                'bookings' => array_map(static fn (array $row): array => Bookings::public_fields($row) + ['email' => $row['email']], $rows),
                'total' => $store->count($filters),
            ]);
            return $response;
        });
    }

    /**
     * A manager, or the holder of the booking's cancel token.
     *
     * @param WP_REST_Request $request
     */
    public function delete_item_permissions_check($request): bool|WP_Error
    {
        if ($this->is_manager()) {
            return true;
        }
        $token = is_string($request['cancel_token']) ? $request['cancel_token'] : '';
        if (CancelLink::check((string) $request['reference'], $token)) {
            return true;
        }
        return new WP_Error(
            'rest_forbidden',
            __('A valid cancel token is needed to cancel this booking.', 'redis-persona'),
            ['status' => rest_authorization_required_code()]
        );
    }

    /** @param WP_REST_Request $request */
    public function delete_item($request)
    {
        return $this->limited('booking-cancel', function () use ($request) {
            $reference = (string) $request['reference'];
            $booking = $this->bookings->store()->find($reference);
            if ($booking === null) {
                return new WP_Error('rp_booking_not_found', __('No such booking.', 'redis-persona'), ['status' => 404]);
            }
            $active = $booking['status'] === BookingStore::CONFIRMED;
            if ($active && !$this->is_manager() && Booking::is_past($booking['date'], $booking['time'])) {
                $message = __('The time of this booking has passed: it can no longer be cancelled with its link.', 'redis-persona');
                return new WP_Error('rp_booking_past', $message, ['status' => 409]);
            }
            if (!$this->bookings->cancel($reference)) {
                return new WP_Error('rp_booking_cancelled', __('This booking is already cancelled.', 'redis-persona'), ['status' => 409]);
            }
            return $this->respond(Bookings::public_fields((array) $this->bookings->store()->find($reference)), $request);
        });
    }

    /**
     * @param array<string, mixed> $item
     * @param WP_REST_Request $request
     */
    public function prepare_item_for_response($item, $request): \WP_REST_Response
    {
        return new \WP_REST_Response(Bookings::public_fields($item), 200);
    }

    /**
     * The base route's bodies. WordPress shows one schema per route, and
     * this route answers two shapes: GET a page of bookings
     * `{bookings, total}`, POST one booking (the properties of
     * `redis-persona-booking`, also listed here).
     *
     * @return array<string, mixed>
     */
    public function get_collection_body_schema(): array
    {
        $booking = $this->get_item_schema()['properties'];
        $listed = $booking + ['email' => ['description' => __('The stored email address, or empty.', 'redis-persona'), 'type' => 'string']];
        return [
            '$schema' => 'http://json-schema.org/draft-04/schema#',
            'title' => 'redis-persona-bookings',
            'type' => 'object',
            'properties' => [
                'bookings' => [
                    'description' => __('GET: the bookings of this page, by slot.', 'redis-persona'),
                    'type' => 'array',
                    'items' => ['type' => 'object', 'properties' => $listed],
                ],
                'total' => ['description' => __('GET: how many bookings match the filters.', 'redis-persona'), 'type' => 'integer'],
            ] + $booking,
        ];
    }

    /** @return array<string, mixed> a booking */
    public function get_item_schema(): array
    {
        $string = ['type' => 'string'];
        return $this->object_schema('redis-persona-booking', [
            'reference' => ['description' => __('The booking reference (RP- and 10 characters).', 'redis-persona')] + $string,
            'date' => ['description' => __('Day as YYYY-MM-DD.', 'redis-persona')] + $string,
            'time' => ['description' => __('Time of day as HH:MM.', 'redis-persona')] + $string,
            'resource' => ['description' => __('What is booked.', 'redis-persona')] + $string,
            'fence' => ['description' => __('The fence of the hold the booking was made with.', 'redis-persona'), 'type' => 'integer'],
            'status' => [
                'description' => __('confirmed or cancelled.', 'redis-persona'),
                'type' => 'string',
                'enum' => [BookingStore::CONFIRMED, BookingStore::CANCELLED],
            ],
            'created_at' => ['description' => __('When it was booked (UTC).', 'redis-persona')] + $string,
            'cancelled_at' => ['description' => __('When it was cancelled (UTC), or null.', 'redis-persona'), 'type' => ['string', 'null']],
        ]);
    }
}
