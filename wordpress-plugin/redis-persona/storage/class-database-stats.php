<?php

/**
 * Statistics, popularity and the invalidation log exist in Redis mode only:
 * the database adapter records nothing and answers empty.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseStats implements StatsStore
{
    public function record_view(int $post_id): void
    {
    }

    public function popular(int $limit): array
    {
        return [];
    }

    public function stats(int $days): array
    {
        return [];
    }

    public function recent(int $limit): array
    {
        return [];
    }
}
