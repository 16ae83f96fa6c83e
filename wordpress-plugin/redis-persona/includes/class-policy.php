<?php

/**
 * Every default and limit of the plugin, in one place that both stores read.
 *
 * The extension keeps its own copy in `persona-core/src/policy.rs` (exposed
 * as `RedisPersona\Policy::defaults()`); the values shared with it are the
 * same here, and an end-to-end test (StoreContractTest) fails when the two
 * drift. The database fallback follows exactly these rules, so a switch of
 * mode changes where state lives, never what it guarantees.
 *
 * Rate limiting is GCRA (the generic cell rate algorithm, as in redis-cell):
 * a burst of up to `limit` requests, then one more every `window / limit`
 * seconds; refused requests do not count; one value per key (constant
 * memory). Both stores compute it the same way (see DatabaseLimits::attempt).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Policy
{
    /** Persona slugs: 1 to 64 bytes of a-z 0-9 _ - (what the extension accepts). */
    public const PERSONA_PATTERN = '/^[a-z0-9_-]{1,64}$/D';
    public const MAX_PERSONAS = 32;

    /** Content: fresh for a week by default, then served stale for a day while one request re-renders. */
    public const CACHE_TTL = 604800;
    public const CACHE_MIN_TTL = 60;
    public const CACHE_MAX_TTL = 2592000;
    public const CACHE_STALE_TTL = 86400;
    /** Single-flight: the render lock lives 5 s; others wait up to 6 s for its HTML. */
    public const RENDER_LOCK_MS = 5000;
    public const RENDER_WAIT_MS = 6000;

    /** Slot holds: 10 minutes by default, 15 at most (filter `redis_persona_max_hold_seconds` lowers it). */
    public const HOLD_TTL = 600;
    public const HOLD_MIN_TTL = 30;
    public const HOLD_MAX_TTL = 900;
    /** Slots one client address may hold at once (filter `redis_persona_max_holds`). */
    public const MAX_HOLDS = 3;
    /** Days ahead that can be held or booked, from today in the site's timezone (filter `redis_persona_booking_window`). */
    public const BOOKING_WINDOW_DAYS = 90;

    /** One-time codes (filter `redis_persona_otp_options`). */
    public const OTP = [
        'ttl' => 600,
        'digits' => 6,
        'max_attempts' => 5,
        'issue_limit' => 3,
        'issue_window' => 600,
    ];

    /** REST rate limits, [requests, window seconds] per client address (filter `redis_persona_rate_limit`). */
    public const RATE_LIMITS = [
        'rest-read' => [240, 60],
        'rest-lock' => [60, 60],
        'heartbeat' => [120, 60],
        'otp-request-ip' => [10, 3600],
        'otp-verify-ip' => [30, 600],
        'booking-confirm' => [30, 600],
        'booking-cancel' => [30, 600],
    ];

    /** Rate limiting keys IPv6 clients by their /64 (one host usually owns a whole /64). */
    public const IPV6_PREFIX_BITS = 64;

    /**
     * Cookies that mark a visitor whose pages are private: logged in, a
     * commenter, a post password, a shop session. Prefixes; extended by
     * `REDIS_PERSONA_PAGE_BYPASS_COOKIES` and the filter
     * `redis_persona_page_bypass_cookies`.
     */
    public const SESSION_COOKIES = [
        'wordpress_logged_in_',
        'wordpress_sec_',
        'wp-postpass_',
        'comment_author_',
        'wp_woocommerce_session_',
        'woocommerce_items_in_cart',
        'woocommerce_cart_hash',
        'edd_items_in_cart',
        'edd_cart',
    ];

    /** Page tier: fresh for an hour, then served stale for 10 minutes while one request re-renders. */
    public const PAGE_TTL = 3600;
    public const PAGE_MIN_TTL = 60;
    public const PAGE_STALE_TTL = 600;
    /** Paths never cached (prefixes; `REDIS_PERSONA_PAGE_EXCLUDE` and `redis_persona_page_exclude` add more). */
    public const PAGE_EXCLUDE = [
        '/cart/', '/checkout/', '/my-account/', '/account/', '/basket/', '/wp-admin/', '/wp-login.php',
        '/wp-json/', '/wp-cron.php', '/xmlrpc.php', '/wp-comments-post.php', '/wp-signup.php', '/wp-activate.php',
    ];
    /** Query parameters that never change a page; stripped from its key (`redis_persona_page_ignored_parameters`). */
    public const PAGE_IGNORED_PARAMETERS = [
        'utm_*', 'gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'dclid', 'yclid', 'twclid', 'ttclid',
        'mc_cid', 'mc_eid', '_ga', '_gl', '_ke', 'igshid', 'ref_src', 'srsltid',
    ];

    /** Fallback invalidations recorded during an outage; past this, reconciliation flushes. */
    public const MAX_REPLAY = 200;

    /** @return array<string, int> the OTP options after `redis_persona_otp_options` */
    public static function otp(): array
    {
        $options = apply_filters('redis_persona_otp_options', self::OTP);
        $options = is_array($options) ? $options : [];
        $clean = [];
        foreach (self::OTP as $name => $default) {
            $clean[$name] = isset($options[$name]) && is_numeric($options[$name]) ? (int) $options[$name] : $default;
        }
        return $clean;
    }

    /** @return list<string> cookie name prefixes that make a request private */
    public static function session_cookies(): array
    {
        $cookies = self::SESSION_COOKIES;
        if (defined('REDIS_PERSONA_PAGE_BYPASS_COOKIES')) {
            $extra = REDIS_PERSONA_PAGE_BYPASS_COOKIES;
            $extra = is_string($extra) ? explode(',', $extra) : (is_array($extra) ? $extra : []);
            $cookies = array_merge($cookies, $extra);
        }
        // A site may rename WordPress's own cookies (wp-config.php constants).
        foreach (['LOGGED_IN_COOKIE', 'AUTH_COOKIE', 'SECURE_AUTH_COOKIE', 'PASS_COOKIE', 'USER_COOKIE'] as $constant) {
            if (defined($constant) && is_string(constant($constant)) && constant($constant) !== '') {
                $cookies[] = (string) constant($constant);
            }
        }
        $cookies = apply_filters('redis_persona_page_bypass_cookies', $cookies);
        $cookies = array_map(static fn ($c): string => is_string($c) ? trim($c) : '', is_array($cookies) ? $cookies : []);
        return array_values(array_unique(array_filter($cookies, 'strlen')));
    }

    /** @return list<string> path prefixes the page tier never caches */
    public static function page_exclude(): array
    {
        $paths = self::PAGE_EXCLUDE;
        if (defined('REDIS_PERSONA_PAGE_EXCLUDE')) {
            $extra = REDIS_PERSONA_PAGE_EXCLUDE;
            $paths = array_merge($paths, is_string($extra) ? explode(',', $extra) : (is_array($extra) ? $extra : []));
        }
        /**
         * Filters the paths the page tier never caches: `/cart/` excludes it and
         * everything below it, a trailing `*` any path that starts so.
         *
         * @param string[] $paths
         */
        $paths = apply_filters('redis_persona_page_exclude', $paths);
        $paths = array_map(static fn ($p): string => is_string($p) ? trim($p) : '', is_array($paths) ? $paths : []);
        return array_values(array_unique(array_filter($paths, 'strlen')));
    }

    /** @return list<string> query parameter names (or `prefix*`) the page tier ignores */
    public static function page_ignored_parameters(): array
    {
        $names = apply_filters('redis_persona_page_ignored_parameters', self::PAGE_IGNORED_PARAMETERS);
        $names = array_map(static fn ($n): string => is_string($n) ? strtolower(trim($n)) : '', is_array($names) ? $names : []);
        return array_values(array_unique(array_filter($names, 'strlen')));
    }

    /** Whether the request carries a cookie of a private session. */
    public static function has_session_cookie(): bool
    {
        if (empty($_COOKIE)) {
            return false;
        }
        $prefixes = self::session_cookies();
        foreach (array_keys($_COOKIE) as $name) {
            foreach ($prefixes as $prefix) {
                if (str_starts_with((string) $name, $prefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The longest hold, after `redis_persona_max_hold_seconds` (never above HOLD_MAX_TTL). */
    public static function max_hold_seconds(): int
    {
        $max = (int) apply_filters('redis_persona_max_hold_seconds', self::HOLD_MAX_TTL);
        return max(self::HOLD_MIN_TTL, min(self::HOLD_MAX_TTL, $max));
    }

    /** Slots a client address may hold at once; 0 means no cap. */
    public static function max_holds(): int
    {
        return max(0, (int) apply_filters('redis_persona_max_holds', self::MAX_HOLDS));
    }

    /** Days ahead that can be held or booked. */
    public static function booking_window_days(): int
    {
        return max(0, min(3650, (int) apply_filters('redis_persona_booking_window', self::BOOKING_WINDOW_DAYS)));
    }

    /**
     * A REST limit after `redis_persona_rate_limit`: [requests, window seconds];
     * requests <= 0 switches it off.
     *
     * @return array{0: int, 1: int}
     */
    public static function rate_limit(string $name): array
    {
        [$limit, $window] = self::RATE_LIMITS[$name] ?? [60, 60];
        /**
         * Filters a rate limit: [requests, window seconds].
         *
         * @param array{0: int, 1: int} $limit
         * @param string                $name
         */
        $filtered = apply_filters('redis_persona_rate_limit', [$limit, $window], $name);
        if (is_array($filtered) && count($filtered) === 2) {
            [$limit, $window] = array_map('intval', array_values($filtered));
        }
        return [$limit, max(1, $window)];
    }
}
