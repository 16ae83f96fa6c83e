<?php

/**
 * Invalidation: which posts depend on which, tags, and dropping variants.
 * Callers go through Backend::invalidate_post/invalidate_tag/flush, which
 * record fallback-mode invalidations for replay.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface RelationStore
{
    /**
     * @param list<int> $depends_on
     * @param list<string> $tags
     */
    public function relate(int $post_id, array $depends_on, array $tags): void;
}
