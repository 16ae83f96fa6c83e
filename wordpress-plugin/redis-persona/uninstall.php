<?php

/**
 * Removes everything the plugin stored, on every blog of a network: its
 * options, its own transients (and no other plugin's), its state table, and
 * every Redis key under each blog's prefix (Client::purge(): SCAN + UNLINK).
 * The bookings table stays unless the admin opted to delete bookings.
 */

declare(strict_types=1);

if (!defined('WP_UNINSTALL_PLUGIN')) {
    exit;
}

require_once __DIR__ . '/redis-persona.php';

use RedisPersona\WordPress\Backend;
use RedisPersona\WordPress\BookingTable;
use RedisPersona\WordPress\Config;
use RedisPersona\WordPress\FallbackStore;
use RedisPersona\WordPress\Plugin;
use RedisPersona\WordPress\PagePreload;
use RedisPersona\WordPress\Preload;
use RedisPersona\WordPress\StateTable;

/** Everything of one blog (the current one). */
function redis_persona_uninstall_blog(): void
{
    global $wpdb;
    $config = new Config();
    if (extension_loaded('redis_persona') && !$config->disabled()) {
        try {
            [$url, $options] = $config->client_arguments();
            (new \RedisPersona\Client($url, $options))->purge();
        } catch (\Throwable $e) {
            // Redis unreachable or misconfigured: every key expires on its own.
        }
    }
    $options = [Config::OPTION, Backend::OUTAGE_OPTION, FallbackStore::GENERATION_OPTION, Preload::QUEUE_OPTION, Preload::JOB_OPTION,
        PagePreload::QUEUE_OPTION, PagePreload::JOB_OPTION];
    foreach ($options as $option) {
        delete_option($option);
    }
    // Only the plugin's own transient names: rp_c<generation>_<post>_<persona> and rp_v_<md5>.
    $wpdb->query(
        "DELETE FROM {$wpdb->options} WHERE option_name REGEXP '^_transient_(timeout_)?rp_(c[0-9]+_[0-9]+_[a-z0-9_-]+|v_[0-9a-f]{32})$'"
    );
    StateTable::uninstall();
    // Bookings are records of the site's business: kept unless the admin
    // chose (Settings) to delete them with the plugin.
    BookingTable::uninstall();
    wp_clear_scheduled_hook(Plugin::PURGE_HOOK);
    wp_clear_scheduled_hook(Preload::HOOK);
    wp_clear_scheduled_hook(PagePreload::HOOK);
}

if (is_multisite()) {
    foreach (get_sites(['fields' => 'ids', 'number' => 0]) as $redis_persona_blog) {
        switch_to_blog((int) $redis_persona_blog);
        redis_persona_uninstall_blog();
        restore_current_blog();
    }
} else {
    redis_persona_uninstall_blog();
}
