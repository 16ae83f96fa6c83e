<?php

/**
 * The persona fragment cache: one HTML variant per post and persona, rendered
 * once across processes, and preloads that never store stale HTML.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface ContentStore
{
    /**
     * The cached HTML of a persona variant, rendering (once, across
     * processes) when there is none.
     *
     * @param callable(): string $render
     * @return array{0: string, 1: string} [html, 'hit'|'miss'|'stale'|'bypass']
     */
    public function remember(int $post_id, string $persona, callable $render, int $ttl): array;

    /**
     * What a preload must observe before it renders: an opaque fence that
     * every invalidation of the post (or flush) moves.
     */
    public function observe(int $post_id): string;

    /**
     * Stores every persona's variant; stores nothing and returns 0 when the
     * post was invalidated or the cache flushed since $fence was observed.
     *
     * @param array<string, string> $html_by_persona
     */
    public function warm(int $post_id, array $html_by_persona, int $ttl, ?string $fence = null): int;

    /** @return list<string> */
    public function cached_personas(int $post_id): array;
}
