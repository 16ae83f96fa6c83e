<?php

/**
 * Switches the page tier on or off for the page benchmark (run inside
 * WordPress by tests/wp/site.sh wp FILE on|off) and empties it.
 */

declare(strict_types=1);

use RedisPersona\WordPress\Config;
use RedisPersona\WordPress\Plugin;

$settings = get_option(Config::OPTION, []);
$settings = is_array($settings) ? $settings : [];
$settings['page_cache'] = ($args[0] ?? '') === 'on';
update_option(Config::OPTION, $settings);
Plugin::instance()->config()->reset();
echo Plugin::instance()->page()->install(), "\n";
if (class_exists(RedisPersona\PageCache::class)) {
    Plugin::instance()->backend()->flush_pages();
}
