<?php

/**
 * Plugin Name:       Redis Persona
 * Plugin URI:        https://github.com/redis-persona/redis-persona
 * Description:       Persona variants of your content from Redis, booking slot locks and one-time codes, with a database fallback.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            redis-persona
 * License:           MIT
 * Text Domain:       redis-persona
 * Domain Path:       /languages
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}

define('REDIS_PERSONA_VERSION', '0.1.0');
define('REDIS_PERSONA_FILE', __FILE__);

// One class per file, WordPress-style names; no autoloader needed for a
// dozen files that every request uses anyway (opcache keeps them compiled).
foreach (
    [
        'class-policy',
        'class-config',
        'class-client-address',
        'class-state-table',
        'class-limit-exceeded',
        'class-store',
        'class-fallback-store',
        'class-redis-store',
        'class-backend',
        'class-persona',
        'class-do-not-cache',
        'class-content',
        'class-preload',
        'class-invalidation',
        'class-booking',
        'class-rest-controller',
        'class-rest-status-controller',
        'class-rest-cache-controller',
        'class-rest-slots-controller',
        'class-rest-otp-controller',
        'class-chart',
        'class-admin',
        'class-site-health',
        'class-plugin',
    ] as $redis_persona_file
) {
    require_once __DIR__ . '/includes/' . $redis_persona_file . '.php';
}
unset($redis_persona_file);

register_activation_hook(__FILE__, [\RedisPersona\WordPress\Plugin::class, 'activate']);
register_deactivation_hook(__FILE__, [\RedisPersona\WordPress\Plugin::class, 'deactivate']);

if (defined('WP_CLI') && WP_CLI) {
    require_once __DIR__ . '/includes/class-cli.php';
}

\RedisPersona\WordPress\Plugin::instance()->register_hooks();
