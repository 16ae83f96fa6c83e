<?php

/**
 * Invalidation: dropping cached variants. Not part of Store, which
 * Backend::run() hands to every caller: only Backend holds these adapters,
 * so an invalidation always goes through Backend, which records it for
 * replay when it ran on the fallback. No caller can forget that.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface InvalidationStore
{
    /** @return list<int> the posts invalidated (transitively, when the store knows) */
    public function invalidate_post(int $post_id): array;

    /** @return list<int> */
    public function invalidate_tag(string $tag): array;

    public function flush(): void;

    /** Drops every cached page of the full-page tier (nothing else). */
    public function flush_pages(): void;
}
