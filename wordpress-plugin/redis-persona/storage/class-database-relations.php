<?php

/**
 * Invalidation on the database: relations are not kept (Redis only), so every
 * invalidation starts a new content generation, which is always correct.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseRelations implements RelationStore, InvalidationStore
{
    public function relate(int $post_id, array $depends_on, array $tags): void
    {
        // Relations live in Redis only; fallback invalidation is generation-wide.
    }

    public function invalidate_post(int $post_id): array
    {
        // Dependents are not known here: a new generation is always correct.
        DatabaseContent::bump_generation();
        return [$post_id];
    }

    public function invalidate_tag(string $tag): array
    {
        DatabaseContent::bump_generation();
        return [];
    }

    public function flush(): void
    {
        DatabaseContent::bump_generation();
    }

    /** The page tier lives in Redis only: nothing is cached here to drop. */
    public function flush_pages(): void
    {
    }
}
