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

    public function register_routes(): void
    {
        $identity = [
            'description' => __('The email address to verify.', 'redis-persona'),
            'type' => 'string',
            'format' => 'email',
            'required' => true,
            'maxLength' => 254,
        ];
        register_rest_route($this->namespace, '/otp/request', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'request_code'],
                'permission_callback' => [$this, 'is_public'],
                'args' => ['identity' => $identity],
            ],
        ]);
        register_rest_route($this->namespace, '/otp/verify', [
            [
                'methods' => WP_REST_Server::CREATABLE,
                'callback' => [$this, 'verify_code'],
                'permission_callback' => [$this, 'is_public'],
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
            return new WP_REST_Response(['status' => 'sent', 'expires_in' => Policy::otp()['ttl']], 202);
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
            $code = $this->plugin->backend()->run(fn (Store $s) => $s->otp_issue($identity));
        } catch (LimitExceeded $e) {
            return;
        } catch (\Throwable $e) {
            $this->plugin->backend()->report($e);
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
            $verified = $this->plugin->backend()->run(fn (Store $s) => $s->otp_verify($identity, $code));
            if (!$verified) {
                return new WP_Error(
                    'rp_otp_invalid',
                    __('The code is wrong, expired, already used, or has had too many attempts.', 'redis-persona'),
                    ['status' => 401]
                );
            }
            $expires = time() + self::TOKEN_TTL;
            return new WP_REST_Response([
                'verified' => true,
                'token' => self::issue_token($identity, $expires),
                'expires_at' => $expires,
            ], 200);
        });
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
