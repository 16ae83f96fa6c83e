<?php

/**
 * POST /otp/request {identity} and POST /otp/verify {identity, code}.
 *
 * A request always answers 202 with the same body, and in the same time,
 * whether or not the identity may receive codes (filter
 * `redis_persona_otp_allowed`) and whether or not its own issuing limit is
 * reached: the code is issued and mailed after the response has been sent
 * (at shutdown, after fastcgi_finish_request()), so neither the status, the
 * body nor the timing tells who is known. Issuing is limited per identity
 * (the store, silently) and per client address (429, the same for
 * everyone); verifying per address, and every code burns after its attempt
 * limit. A verified identity gets a signed token (valid 30 minutes)
 * that other routes can check with RestOtpController::check_token().
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

final class RestOtpController extends RestController
{
    private const TOKEN_TTL = 1800;

    public function __construct(Backend $backend, Booking $booking)
    {
        parent::__construct($backend, $booking);
        $this->rest_base = 'otp';
    }

    public function register_routes(): void
    {
        $identity = [
            'description' => __('The email address to verify.', 'redis-persona'),
            'type' => 'string',
            'format' => 'email',
            'required' => true,
            'maxLength' => 254,
        ];
        $this->route('/request', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'request_code'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => ['identity' => $identity],
            ],
        ]);
        $this->route('/verify', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'verify_code'],
                'permission_callback' => [$this, 'public_permissions_check'],
                'args' => [
                    'identity' => $identity,
                    'code' => self::strict([
                        'description' => __('The code that was mailed.', 'redis-persona'),
                        'type' => 'string',
                        'required' => true,
                        'pattern' => '^[0-9]{4,10}$',
                    ]),
                ],
            ],
        ]);
    }

    private static function identity(WP_REST_Request $request): string
    {
        return strtolower(trim((string) $request['identity']));
    }

    public function request_code(WP_REST_Request $request)
    {
        return $this->limited('otp-request-ip', function () use ($request) {
            $identity = self::identity($request);
            add_action('shutdown', function () use ($identity): void {
                if (function_exists('fastcgi_finish_request')) {
                    fastcgi_finish_request();
                }
                $this->send_code($identity);
            }, PHP_INT_MAX);
            return $this->respond(['status' => 'sent', 'expires_in' => Policy::otp()['ttl']], $request, 202);
        });
    }

    /** Issues and mails a code, if the identity may have one now; silent otherwise. */
    public function send_code(string $identity): void
    {
        /**
         * Filters whether an identity may receive one-time codes. The
         * response is the same either way.
         *
         * @param bool   $allowed
         * @param string $identity Lower-cased email address.
         */
        if (!apply_filters('redis_persona_otp_allowed', true, $identity)) {
            return;
        }
        try {
            $code = $this->backend->run(fn (CodeStore $s) => $s->otp_issue($identity));
        } catch (LimitExceeded $e) {
            return;
        } catch (\Throwable $e) {
            $this->backend->report($e);
            return;
        }
        wp_mail(
            $identity,
            /* translators: %s: site name */
            sprintf(__('Your code for %s', 'redis-persona'), wp_specialchars_decode(get_bloginfo('name'), ENT_QUOTES)),
            /* translators: 1: the code, 2: minutes it is valid */
            sprintf(
                __("Your verification code is %1\$s\n\nIt is valid for %2\$d minutes.", 'redis-persona'),
                $code,
                (int) ceil(Policy::otp()['ttl'] / 60)
            )
        );
    }

    public function verify_code(WP_REST_Request $request)
    {
        return $this->limited('otp-verify-ip', function () use ($request) {
            $identity = self::identity($request);
            $code = (string) $request['code'];
            $verified = $this->backend->run(fn (CodeStore $s) => $s->otp_verify($identity, $code));
            if (!$verified) {
                return new WP_Error(
                    'rp_otp_invalid',
                    __('The code is wrong, expired, already used, or has had too many attempts.', 'redis-persona'),
                    ['status' => 401]
                );
            }
            $expires = time() + self::TOKEN_TTL;
            return $this->respond([
                'verified' => true,
                'token' => self::issue_token($identity, $expires),
                'expires_at' => $expires,
            ], $request);
        });
    }

    /** @return array<string, mixed> a request's or a verification's body */
    public function get_item_schema(): array
    {
        return $this->object_schema('redis-persona-otp', [
            'status' => ['description' => __('"sent", whether or not a code was mailed.', 'redis-persona'), 'type' => 'string'],
            'expires_in' => ['description' => __('How long a code is valid (seconds).', 'redis-persona'), 'type' => 'integer'],
            'verified' => ['description' => __('The code was right.', 'redis-persona'), 'type' => 'boolean'],
            'token' => ['description' => __('Proves the verification for 30 minutes.', 'redis-persona'), 'type' => 'string'],
            'expires_at' => ['description' => __('When the token ends (Unix time).', 'redis-persona'), 'type' => 'integer'],
        ]);
    }

    public static function issue_token(string $identity, int $expires): string
    {
        $payload = rtrim(strtr(base64_encode((string) wp_json_encode([
            'i' => hash_hmac('sha256', $identity, wp_salt('auth')),
            'e' => $expires,
        ])), '+/', '-_'), '=');
        return $payload . '.' . hash_hmac('sha256', $payload, wp_salt('auth'));
    }

    /** Whether $token proves that $identity was verified in the last 30 minutes. */
    public static function check_token(string $token, string $identity): bool
    {
        $parts = explode('.', $token);
        if (count($parts) !== 2 || !hash_equals(hash_hmac('sha256', $parts[0], wp_salt('auth')), $parts[1])) {
            return false;
        }
        $data = json_decode((string) base64_decode(strtr($parts[0], '-_', '+/')), true);
        return is_array($data)
            && isset($data['i'], $data['e'])
            && (int) $data['e'] >= time()
            && hash_equals(hash_hmac('sha256', strtolower(trim($identity)), wp_salt('auth')), (string) $data['i']);
    }
}
