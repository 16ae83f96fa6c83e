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
    return new WP_Error('http_request_blocked', 'External HTTP is blocked in the sandbox: ' . $url);
}, 10, 3);

// Update checks would fail (no internet) and log a warning each time:
// report them as just done.
foreach (['update_core', 'update_plugins', 'update_themes'] as $redis_persona_transient) {
    add_filter('pre_site_transient_' . $redis_persona_transient, static function () {
        global $wp_version;
        return (object) ['last_checked' => time(), 'version_checked' => $wp_version, 'updates' => [],
            'translations' => [], 'response' => [], 'no_update' => [], 'checked' => []];
    });
}
unset($redis_persona_transient);

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
