<?php

/**
 * Views, popularity, daily hits and misses, and the invalidation log (kept
 * in Redis mode only: the database adapter answers empty).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface StatsStore
{
    public function record_view(int $post_id): void;

    /** @return list<array{post_id: int, views: int}> */
    public function popular(int $limit): array;

    /** @return list<array<string, mixed>> per UTC day, oldest first */
    public function stats(int $days): array;

    /** @return list<array<string, mixed>> */
    public function recent(int $limit): array;
}
