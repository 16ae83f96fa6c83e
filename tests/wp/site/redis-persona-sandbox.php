<?php

/**
 * Plugin Name: Redis Persona sandbox
 * Description: Makes the private test/demo site work offline and observable:
 *   blocks HTTP to anything but the site itself, writes mail to a file instead
 *   of sending it, and provides a deliberately slow [rp_slow] shortcode whose
 *   every execution is counted.
 *
 * Installed as a must-use plugin by tests/wp/site.sh; never part of the product.
 */

declare(strict_types=1);

if (!defined('ABSPATH') || !defined('REDIS_PERSONA_SANDBOX_DIR')) {
    return;
}

// No internet here: anything but a loopback request to this site would hang
// until its timeout (update checks, oEmbed, pingbacks).
add_filter('pre_http_request', static function ($preempt, array $args, string $url) {
    $host = (string) wp_parse_url($url, PHP_URL_HOST);
    if (in_array($host, ['127.0.0.1', 'localhost'], true)) {
        return $preempt;
    }
    if ($host === 'api.wordpress.org') {
        // Update checks: "nothing new" (an error here makes core log a warning).
        $body = '{"plugins":{},"themes":{},"no_update":{},"translations":[],"offers":[]}';
        return ['headers' => [], 'body' => $body, 'response' => ['code' => 200, 'message' => 'OK'], 'cookies' => [], 'filename' => null];
    }
    return new WP_Error('http_request_blocked', 'External HTTP is blocked in the sandbox: ' . $url);
}, 10, 3);

// Mail goes to a JSON-lines file the tests read (the one-time codes).
add_filter('pre_wp_mail', static function ($short, array $atts) {
    $line = wp_json_encode([
        'to' => $atts['to'],
        'subject' => $atts['subject'],
        'message' => $atts['message'],
        'at' => microtime(true),
    ]);
    file_put_contents(REDIS_PERSONA_SANDBOX_DIR . '/mail.log', $line . "\n", FILE_APPEND | LOCK_EX);
    return true;
}, 10, 2);

// [rp_slow ms="50"] sleeps and counts: a cache hit must not execute it.
add_shortcode('rp_slow', static function ($atts): string {
    $ms = max(0, min(2000, (int) (is_array($atts) ? ($atts['ms'] ?? 50) : 50)));
    usleep($ms * 1000);
    file_put_contents(REDIS_PERSONA_SANDBOX_DIR . '/slow.log', get_the_ID() . "\n", FILE_APPEND | LOCK_EX);
    return '<p class="rp-slow">rendered slowly in ' . $ms . ' ms</p>';
});

// Tests give each scenario its own client address (X-RP-Test-IP) so that
// rate-limit counters do not leak between them; nothing else may set it.
add_filter('redis_persona_client_ip', static function (string $ip): string {
    $test_ip = $_SERVER['HTTP_X_RP_TEST_IP'] ?? '';
    return is_string($test_ip) && filter_var($test_ip, FILTER_VALIDATE_IP) !== false ? $test_ip : $ip;
});

// Booked slots for the availability route: an option the tests write.
add_filter('redis_persona_booked_slots', static function (array $times, string $date, string $resource): array {
    $booked = get_option('rp_sandbox_booked', []);
    return is_array($booked) && isset($booked[$date . '/' . $resource]) ? (array) $booked[$date . '/' . $resource] : $times;
}, 10, 3);

// Preload failures on demand: posts listed in this option fail to render in
// WP-Cron (tests of the retry with backoff).
add_filter('redis_persona_render', static function (string $html, WP_Post $post): string {
    if (wp_doing_cron() && in_array($post->ID, (array) get_option('rp_sandbox_fail_render', []), true)) {
        throw new RuntimeException('sandbox: render of post ' . $post->ID . ' fails');
    }
    return $html;
}, 10, 2);

// Tests that hold more slots than the default cap (the rate-limit test) say
// so per request with X-RP-Test-Max-Holds.
add_filter('redis_persona_max_holds', static function (int $max): int {
    $test = $_SERVER['HTTP_X_RP_TEST_MAX_HOLDS'] ?? '';
    return is_string($test) && ctype_digit($test) ? (int) $test : $max;
});

// [rp_whoami] prints who the page was rendered for: a cached page must never
// show a logged-in visitor's name to anybody else.
add_shortcode('rp_whoami', static function (): string {
    $user = wp_get_current_user();
    return '<p class="rp-whoami">' . esc_html($user->exists() ? 'user:' . $user->user_login : 'anonymous') . '</p>';
});

// [rp_donotcache] marks its page as one that no cache may keep.
add_shortcode('rp_donotcache', static function (): string {
    if (!defined('DONOTCACHEPAGE')) {
        define('DONOTCACHEPAGE', true);
    }
    return '<p class="rp-donotcache">private page</p>';
});

// An edit that lands while a preload renders the post (option
// rp_sandbox_edit_during_render = [post id, new content]), once.
add_filter('redis_persona_render', static function (string $html, WP_Post $post): string {
    $edit = get_option('rp_sandbox_edit_during_render');
    if (wp_doing_cron() && is_array($edit) && (int) $edit[0] === $post->ID) {
        delete_option('rp_sandbox_edit_during_render');
        wp_update_post(['ID' => $post->ID, 'post_content' => (string) $edit[1]]);
    }
    return $html;
}, 20, 2);

// Rate limits a test lowers or raises: option rp_sandbox_rate_limits, name => [limit, window].
add_filter('redis_persona_rate_limit', static function (array $limit, string $name): array {
    $limits = get_option('rp_sandbox_rate_limits', []);
    return is_array($limits) && isset($limits[$name]) && is_array($limits[$name]) ? $limits[$name] : $limit;
}, 10, 2);

// nginx talks to php-fpm from loopback: X-Forwarded-For from it is trusted
// (tests without X-RP-Test-IP exercise REDIS_PERSONA_TRUSTED_PROXIES).
if (!defined('REDIS_PERSONA_TRUSTED_PROXIES')) {
    define('REDIS_PERSONA_TRUSTED_PROXIES', '127.0.0.1, ::1');
}

// Preload batch size a test sets (option rp_sandbox_preload_batch).
add_filter('redis_persona_preload_batch', static function (int $batch): int {
    $size = (int) get_option('rp_sandbox_preload_batch', 0);
    return $size > 0 ? $size : $batch;
});

// The REST fuzz (tests/wp/FuzzTest.php) sends thousands of requests: with
// this header the plugin's REST rate limits are lifted for that request, so
// they reach the routes' code. Without it every limit applies as configured.
add_filter('redis_persona_rate_limit', static function ($limit) {
    return ($_SERVER['HTTP_X_RP_TEST_RATE_LIMIT'] ?? '') === 'off' ? [0, 1] : $limit;
});

// What the page tier told CDNs to purge: a JSON line per redis_persona_purged.
add_action('redis_persona_purged', static function (array $urls, array $tags): void {
    $line = wp_json_encode(['urls' => $urls, 'tags' => $tags, 'at' => microtime(true)]);
    file_put_contents(REDIS_PERSONA_SANDBOX_DIR . '/purged.log', $line . "\n", FILE_APPEND | LOCK_EX);
}, 10, 2);

// [rp_setcookie] sets a cookie during the render: such a page must never be shared.
add_shortcode('rp_setcookie', static function (): string {
    if (!headers_sent()) {
        setcookie('rp_sandbox_seen', '1', ['path' => '/']);
    }
    return '<p>cookie set</p>';
});

// X-RP-Test-As: <login> logs the request in without any cookie (as an
// application password or a custom auth plugin would): the page tier's
// drop-in cannot see it, so only the plugin's own check keeps it private.
add_filter('determine_current_user', static function ($user_id) {
    $login = $_SERVER['HTTP_X_RP_TEST_AS'] ?? '';
    if (!is_string($login) || $login === '') {
        return $user_id;
    }
    $user = get_user_by('login', $login);
    return $user instanceof WP_User ? $user->ID : $user_id;
}, 30);

// [rp_private] marks its response Cache-Control: private.
add_shortcode('rp_private', static function (): string {
    if (!headers_sent()) {
        header('Cache-Control: private, max-age=0');
    }
    return '<p>private response</p>';
});

// What the plugin announced, as JSON lines the tests read (Site::actions):
// bookings created and cancelled, and every reported error.
foreach (['redis_persona_booking_created', 'redis_persona_booking_cancelled'] as $rp_sandbox_hook) {
    add_action($rp_sandbox_hook, static function ($booking) use ($rp_sandbox_hook): void {
        $line = wp_json_encode(['hook' => $rp_sandbox_hook, 'args' => $booking, 'at' => microtime(true)]);
        file_put_contents(REDIS_PERSONA_SANDBOX_DIR . '/actions.log', $line . "\n", FILE_APPEND | LOCK_EX);
    });
}
add_action('redis_persona_error', static function ($error): void {
    $args = $error instanceof Throwable ? ['class' => get_class($error), 'message' => $error->getMessage()] : [];
    $line = wp_json_encode(['hook' => 'redis_persona_error', 'args' => $args, 'at' => microtime(true)]);
    file_put_contents(REDIS_PERSONA_SANDBOX_DIR . '/actions.log', $line . "\n", FILE_APPEND | LOCK_EX);
});

// A booking written while a lock of its slot is being taken (option
// rp_sandbox_book_during_lock: [lock name, date, time, resource]), in the
// instant between Booking::lock()'s first look at the bookings and the lock
// row's insert: the race the second look must catch.
add_filter('query', static function ($query) {
    static $busy = false;
    $lock_row = is_string($query) && str_starts_with(ltrim($query), 'INSERT IGNORE INTO') && str_contains($query, 'redis_persona_state');
    if ($busy || !$lock_row) {
        return $query;
    }
    $busy = true;
    try {
        $race = get_option('rp_sandbox_book_during_lock');
        if (is_array($race) && count($race) === 4 && str_contains($query, "'" . $race[0] . "'")) {
            delete_option('rp_sandbox_book_during_lock');
            [, $date, $time, $resource] = array_map('strval', $race);
            $GLOBALS['wpdb']->insert(RedisPersona\WordPress\BookingTable::name(), [
                'reference' => RedisPersona\WordPress\BookingStore::new_reference(),
                'resource' => $resource,
                'slot_date' => $date,
                'slot_time' => $time,
                'seat' => 1,
                'active_slot' => RedisPersona\WordPress\BookingStore::active_slot($date, $time, $resource),
                'status' => RedisPersona\WordPress\BookingStore::CONFIRMED,
                'fence' => 0,
                'mode' => 'sandbox',
                'hold_hash' => hash('sha256', 'sandbox'),
                'identity_hash' => hash('sha256', 'sandbox'),
                'email' => '',
                'created_at' => gmdate('Y-m-d H:i:s'),
            ]);
        }
    } finally {
        $busy = false;
    }
    return $query;
});
