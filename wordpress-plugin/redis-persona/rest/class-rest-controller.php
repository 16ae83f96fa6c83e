<?php

/**
 * Shared plumbing of the plugin's REST controllers (namespace
 * `redis-persona/v1`), which follow WP_REST_Controller's contract: each has a
 * `rest_base`, registers its routes with `*_permissions_check` permission
 * callbacks and its `get_public_item_schema` (shown by discovery with
 * `?context=help`), and shapes bodies in `prepare_item_for_response`. Here:
 * the capability check, per-IP rate limits answered with 429 and
 * `Retry-After`, argument schemas, and a guard that turns anything the
 * backend throws into a proper status instead of a 500 page.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

if (!defined('ABSPATH')) {
    exit;
}

abstract class RestController extends \WP_REST_Controller
{
    public const NAMESPACE = 'redis-persona/v1';

    /** Reports failures (`redis_persona_error`). */
    protected Backend $backend;
    /**
     * Booking, which also counts requests against the rate limits: given to
     * the controllers of public (rate-limited) routes only.
     */
    protected ?Booking $booking;

    public function __construct(Backend $backend, ?Booking $booking = null)
    {
        $this->backend = $backend;
        $this->booking = $booking;
        $this->namespace = self::NAMESPACE;
    }

    /**
     * rest_pre_dispatch: a JSON body of this namespace must be an object.
     * WordPress 6.1 iterates the parsed body when it sanitises arguments, so
     * a scalar (`42`, `"x"`, `true`) would make it warn before any route
     * could answer; it gets a clear 400 instead.
     *
     * @param mixed $result
     * @param \WP_REST_Server $server
     * @param WP_REST_Request $request
     * @return mixed
     */
    public static function refuse_scalar_json($result, $server, $request)
    {
        if ($result !== null || !$request instanceof WP_REST_Request) {
            return $result;
        }
        if (!str_starts_with($request->get_route(), '/' . self::NAMESPACE . '/')) {
            return $result;
        }
        $json = $request->get_json_params();
        if ($json !== null && !is_array($json)) {
            return new WP_Error('rest_invalid_json', __('The request body must be a JSON object.', 'redis-persona'), ['status' => 400]);
        }
        return $result;
    }

    /**
     * Registers one route under rest_base ('' for the base itself) with this
     * controller's item schema, or the schema $schema returns.
     *
     * @param list<array<string, mixed>> $endpoints
     * @param (callable(): array<string, mixed>)|null $schema
     */
    protected function route(string $path, array $endpoints, ?callable $schema = null): void
    {
        $endpoints['schema'] = $schema ?? [$this, 'get_public_item_schema'];
        register_rest_route($this->namespace, '/' . $this->rest_base . $path, $endpoints);
    }

    /**
     * A response with the body prepare_item_for_response() shapes.
     *
     * @param mixed $item
     */
    protected function respond($item, WP_REST_Request $request, int $status = 200): WP_REST_Response
    {
        $response = $this->prepare_item_for_response($item, $request);
        $response->set_status($status);
        return $response;
    }

    /**
     * The body as the route computed it; controllers that show less to some
     * callers override this.
     *
     * @param mixed $item
     * @param WP_REST_Request $request
     */
    public function prepare_item_for_response($item, $request): WP_REST_Response
    {
        return new WP_REST_Response($item, 200);
    }

    /**
     * A schema for this controller's bodies.
     *
     * @param array<string, mixed> $properties
     * @return array<string, mixed>
     */
    protected function object_schema(string $title, array $properties): array
    {
        if ($this->schema === null) {
            $this->schema = [
                '$schema' => 'http://json-schema.org/draft-04/schema#',
                'title' => $title,
                'type' => 'object',
                'properties' => $properties,
            ];
        }
        return $this->add_additional_fields_schema($this->schema);
    }

    /**
     * permission_callback of administrative routes.
     *
     * @param WP_REST_Request $request
     */
    public function manage_permissions_check($request): bool|WP_Error
    {
        if (current_user_can(Plugin::capability())) {
            return true;
        }
        return new WP_Error(
            'rest_forbidden',
            __('Sorry, you are not allowed to do that.', 'redis-persona'),
            ['status' => rest_authorization_required_code()]
        );
    }

    /**
     * permission_callback of public routes (they are rate-limited instead).
     *
     * @param WP_REST_Request $request
     */
    public function public_permissions_check($request): bool
    {
        return true;
    }

    protected function is_manager(): bool
    {
        return current_user_can(Plugin::capability());
    }

    /** The client's address (ClientAddress: trusted proxies, then `redis_persona_client_ip`). */
    protected static function client_ip(): string
    {
        return ClientAddress::ip();
    }

    /**
     * Counts one request against a limit of Policy::RATE_LIMITS (filter
     * `redis_persona_rate_limit` adjusts it per name), per client address
     * (IPv6 by /64); a 429 response when it is exceeded.
     */
    protected function limit(string $name): ?WP_REST_Response
    {
        if ($this->booking === null) {
            // A public route on a controller built without its limiter: a bug, never an open door.
            throw new \LogicException(static::class . ' has no rate limiter for ' . $name);
        }
        $result = $this->booking->attempt($name, ClientAddress::limit_key());
        if ($result === null || $result['allowed']) {
            return null;
        }
        return self::too_many($result['retry_after']);
    }

    protected static function too_many(int $retry_after): WP_REST_Response
    {
        $retry_after = max(1, $retry_after);
        return new WP_REST_Response(
            [
                'code' => 'rp_rate_limited',
                'message' => __('Too many requests. Try again later.', 'redis-persona'),
                'data' => ['status' => 429, 'retry_after' => $retry_after],
            ],
            429,
            ['Retry-After' => (string) $retry_after]
        );
    }

    /**
     * Runs a route's work; a bad argument that got past the schema is a 400,
     * a statement the database refused for a booking a 500
     * (`rp_booking_storage`), any other failure a 503; failures are reported
     * (`redis_persona_error`), never a fatal error.
     *
     * @param callable(): (WP_REST_Response|WP_Error) $work
     */
    protected function guard(callable $work): WP_REST_Response|WP_Error
    {
        try {
            return $work();
        } catch (\ValueError | \InvalidArgumentException | \TypeError $e) {
            return new WP_Error('rest_invalid_param', $e->getMessage(), ['status' => 400]);
        } catch (LimitExceeded $e) {
            return self::too_many($e->retry_after());
        } catch (BookingStorageError $e) {
            $this->backend->report($e);
            return new WP_Error(
                'rp_booking_storage',
                __('The booking could not be stored or read. Nothing was changed; try again later.', 'redis-persona'),
                ['status' => 500]
            );
        } catch (\Throwable $e) {
            $this->backend->report($e);
            return new WP_Error(
                'rp_unavailable',
                __('The service is temporarily unavailable.', 'redis-persona'),
                ['status' => 503]
            );
        }
    }

    /**
     * A schema `pattern` plus a strict re-check: in PHP (and so in WordPress's
     * schema validation) `$` also matches before a trailing newline, and
     * "2031-05-05\n" must not pass as a date.
     *
     * @param array<string, mixed> $arg
     * @return array<string, mixed>
     */
    protected static function strict(array $arg): array
    {
        $pattern = (string) $arg['pattern'];
        $then = $arg['validate_callback'] ?? 'rest_validate_request_arg';
        $arg['validate_callback'] = static function ($value, WP_REST_Request $request, string $param) use ($pattern, $then) {
            if (is_string($value) && preg_match('/' . str_replace('/', '\\/', $pattern) . '/D', $value) !== 1) {
                return new WP_Error(
                    'rest_invalid_param',
                    /* translators: 1: parameter, 2: pattern */
                    sprintf(__('%1$s does not match pattern %2$s.', 'redis-persona'), $param, $pattern),
                    ['status' => 400]
                );
            }
            return $then($value, $request, $param);
        };
        return $arg;
    }

    /**
     * guard() behind a per-client rate limit: a 429 when it is exceeded.
     *
     * @param callable(): (WP_REST_Response|WP_Error) $work
     */
    protected function limited(string $name, callable $work): WP_REST_Response|WP_Error
    {
        return $this->guard(fn () => $this->limit($name) ?? $work());
    }

    /** @return array<string, mixed> */
    protected static function date_arg(): array
    {
        return self::strict([
            'description' => __('Day as YYYY-MM-DD.', 'redis-persona'),
            'type' => 'string',
            'required' => true,
            'pattern' => Booking::DATE_PATTERN,
            'validate_callback' => static function ($value, WP_REST_Request $request, string $param) {
                $valid = rest_validate_request_arg($value, $request, $param);
                if ($valid !== true) {
                    return $valid;
                }
                if (!Booking::valid_date((string) $value)) {
                    return new WP_Error('rest_invalid_param', __('date must be a real calendar day.', 'redis-persona'), ['status' => 400]);
                }
                if (!Booking::bookable_date((string) $value)) {
                    return new WP_Error(
                        'rest_invalid_param',
                        /* translators: %d: days ahead */
                        sprintf(__('date must be between today and %d days ahead.', 'redis-persona'), Policy::booking_window_days()),
                        ['status' => 400]
                    );
                }
                return true;
            },
        ]);
    }

    /** @return array<string, mixed> */
    protected static function time_arg(): array
    {
        return self::strict([
            'description' => __('Time of day as HH:MM.', 'redis-persona'),
            'type' => 'string',
            'required' => true,
            'pattern' => Booking::TIME_PATTERN,
        ]);
    }

    /** @return array<string, mixed> */
    protected static function resource_arg(): array
    {
        return self::strict([
            'description' => __('What is booked (room, table, practitioner): letters, digits, _ . -', 'redis-persona'),
            'type' => 'string',
            'required' => true,
            'pattern' => Booking::RESOURCE_PATTERN,
        ]);
    }

    /** @return array<string, mixed> */
    protected static function token_arg(): array
    {
        return self::strict([
            'description' => __('The token returned when the slot was locked.', 'redis-persona'),
            'type' => 'string',
            'required' => true,
            'pattern' => '^[A-Za-z0-9]{16,64}$',
        ]);
    }

    /** @return array<string, mixed> */
    protected static function ttl_arg(bool $required): array
    {
        $arg = [
            'description' => __('Lock lifetime in seconds.', 'redis-persona'),
            'type' => 'integer',
            'required' => $required,
            'minimum' => Policy::HOLD_MIN_TTL,
            'maximum' => Policy::max_hold_seconds(),
        ];
        if (!$required) {
            $arg['default'] = min(Policy::HOLD_TTL, Policy::max_hold_seconds());
        }
        return $arg;
    }
}
