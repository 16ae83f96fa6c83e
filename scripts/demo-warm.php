<?php

/**
 * Part of `make demo` (run inside WordPress by tests/wp/site.sh wp): renders
 * and stores every persona variant of every published post, and shows what
 * the plugin runs on.
 */

declare(strict_types=1);

use RedisPersona\WordPress\Plugin;

$plugin = Plugin::instance();
$preload = $plugin->preload();
$preload->warm_all();
while ($preload->run() > 0) {
    // One batch per call, as WP-Cron would run them.
}
$progress = $preload->progress();
$health = $plugin->health();
printf(
    "Warmed %d of %d posts x %d personas; mode: %s%s\n",
    $progress['done'],
    $progress['total'],
    count($health['personas']),
    $health['mode'],
    $health['mode'] === 'redis' ? ' (Redis ' . ($health['redis']['server_version'] ?? '?') . ')' : ' (' . $health['reason'] . ')'
);

// The page tier's state (the summary then shows a miss and a hit of some pages).
$page = RedisPersona\WordPress\DropIn::status($plugin->config());
printf("Page tier: %s (%s)%s\n", $page['state'], $page['why'], $page['fix'] !== '' ? ' ' . $page['fix'] : '');
