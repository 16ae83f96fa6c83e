<?php

/**
 * Invalidation on the extension's Invalidator: dependencies and tags between
 * posts, transitive invalidation, flush.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\Invalidator;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisRelations implements RelationStore, InvalidationStore
{
    private Client $client;
    private ?Invalidator $invalidator = null;

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    private function invalidator(): Invalidator
    {
        return $this->invalidator ??= new Invalidator($this->client);
    }

    public function relate(int $post_id, array $depends_on, array $tags): void
    {
        if ($depends_on !== []) {
            $this->invalidator()->dependsOn($post_id, $depends_on);
        }
        if ($tags !== []) {
            $this->invalidator()->tag($post_id, $tags);
        }
    }

    public function invalidate_post(int $post_id): array
    {
        return $this->invalidator()->invalidatePost($post_id);
    }

    public function invalidate_tag(string $tag): array
    {
        return $this->invalidator()->invalidateTag($tag);
    }

    public function flush(): void
    {
        $this->invalidator()->flush();
    }

    public function flush_pages(): void
    {
        if (class_exists(\RedisPersona\PageCache::class)) {
            (new \RedisPersona\PageCache($this->client))->flush();
        }
    }
}
