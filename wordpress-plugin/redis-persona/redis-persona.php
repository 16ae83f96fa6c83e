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

// The header's Version is the one place the version is written; the
// constant is read from it (8 KB of this file, once per request).
define('REDIS_PERSONA_VERSION', (string) get_file_data(__FILE__, ['version' => 'Version'])['version']);
define('REDIS_PERSONA_FILE', __FILE__);

require_once __DIR__ . '/includes/autoload.php';

register_activation_hook(__FILE__, [\RedisPersona\WordPress\Plugin::class, 'activate']);
register_deactivation_hook(__FILE__, [\RedisPersona\WordPress\Plugin::class, 'deactivate']);

\RedisPersona\WordPress\Plugin::instance()->register_hooks();
