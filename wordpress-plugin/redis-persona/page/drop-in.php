<?php

/**
 * The page tier's code path before WordPress loads, included by the
 * `advanced-cache.php` stub that the plugin installs in wp-content/. It loads
 * only the three classes a hit needs; WordPress, the database and the rest
 * of the plugin are not touched on a hit.
 */

declare(strict_types=1);

defined('ABSPATH') || exit;

// WordPress loaded from a command line (cron runners, scripts): no visitor to serve.
if (PHP_SAPI === 'cli') {
    return;
}

require_once __DIR__ . '/class-page-settings.php';
require_once __DIR__ . '/class-page-request.php';
require_once __DIR__ . '/class-page-tags.php';
require_once __DIR__ . '/class-page-server.php';

\RedisPersona\WordPress\PageServer::boot();
