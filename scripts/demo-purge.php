<?php

/**
 * Part of `make demo` (run inside WordPress by tests/wp/site.sh wp FILE URL):
 * drops every persona's cached copy of one page, so the summary can show a
 * real miss next to the hit that follows it.
 */

declare(strict_types=1);

$client = RedisPersona\WordPress\Plugin::instance()->backend()->client();
if ($client !== null && class_exists(RedisPersona\PageCache::class)) {
    echo (new RedisPersona\PageCache($client))->purgeUrl((string) ($args[0] ?? '')), "\n";
}
