<?php

/**
 * Removes everything the plugin stored: its options, transients and table,
 * and every Redis key under its prefix (Client::purge(): SCAN + UNLINK).
 */

declare(strict_types=1);

if (!defined('WP_UNINSTALL_PLUGIN')) {
    exit;
}

require_once __DIR__ . '/redis-persona.php';

use RedisPersona\WordPress\Backend;
use RedisPersona\WordPress\Config;
use RedisPersona\WordPress\FallbackStore;
use RedisPersona\WordPress\Plugin;
use RedisPersona\WordPress\Preload;
use RedisPersona\WordPress\StateTable;

$redis_persona_client = Plugin::instance()->backend()->client();
if ($redis_persona_client !== null) {
    try {
        $redis_persona_client->purge();
    } catch (\Throwable $e) {
        // Redis unreachable: every key expires on its own.
    }
}

global $wpdb;
$redis_persona_options = [
    Config::OPTION,
    Backend::OUTAGE_OPTION,
    FallbackStore::GENERATION_OPTION,
    Preload::QUEUE_OPTION,
    Preload::JOB_OPTION,
];
foreach ($redis_persona_options as $redis_persona_option) {
    delete_option($redis_persona_option);
}
$wpdb->query(
    "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_rp\\_%' OR option_name LIKE '\\_transient\\_timeout\\_rp\\_%'"
);
StateTable::uninstall();
wp_clear_scheduled_hook(Plugin::PURGE_HOOK);
wp_clear_scheduled_hook(Preload::HOOK);
