<?php

/**
 * Keeps cached variants fresh: content changes invalidate exactly the posts
 * they affect, synchronously (the next visitor renders fresh HTML), then
 * queue a background preload of every persona of those posts.
 *
 * Relations declared on save:
 * - tags `term-<id>` for every term of the post (so editing a term
 *   invalidates the posts that show it);
 * - dependencies on reusable blocks the post embeds (`wp:block {"ref":N}`)
 *   plus whatever the `redis_persona_dependencies` filter adds (so editing
 *   one of those posts invalidates this one, transitively).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Invalidation
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /** save_post */
    public function saved(int $post_id, \WP_Post $post): void
    {
        if (wp_is_post_revision($post_id) || wp_is_post_autosave($post_id) || $post->post_status === 'auto-draft') {
            return;
        }
        $ids = $this->invalidate_post($post_id);
        $this->declare_relations($post);
        $this->plugin->preload()->enqueue($ids);
    }

    /** deleted_post, trashed_post */
    public function removed(int $post_id): void
    {
        $ids = $this->invalidate_post($post_id);
        $this->plugin->preload()->enqueue(array_values(array_diff($ids, [$post_id])));
    }

    /** set_object_terms: the post's tags changed after save_post (REST sets terms later). */
    public function terms_set(int $object_id): void
    {
        $post = get_post($object_id);
        if ($post instanceof \WP_Post && !wp_is_post_revision($object_id)) {
            $this->declare_relations($post);
        }
    }

    /** edited_term */
    public function term_edited(int $term_id): void
    {
        $ids = $this->plugin->backend()->invalidate_tag('term-' . $term_id);
        $this->plugin->preload()->enqueue($ids);
        $this->plugin->page_invalidation()->term_edited($term_id);
    }

    /** switch_theme, admin "flush": everything, O(1). */
    public function flush(): void
    {
        $backend = $this->plugin->backend();
        $popular = $backend->run(fn (StatsStore $store) => $store->popular(100));
        $backend->flush();
        $this->plugin->preload()->enqueue(array_map(static fn (array $row): int => (int) $row['post_id'], $popular));
        // The flush dropped every page too: CDNs drop theirs, and the home page is preloaded first.
        /** This action is documented in page/class-page-tier.php */
        do_action('redis_persona_purged', [home_url('/')], []);
        $this->plugin->page_preload()->enqueue([home_url('/')]);
    }

    /** @return list<int> */
    public function invalidate_post(int $post_id): array
    {
        return $this->plugin->backend()->invalidate_post($post_id);
    }

    private function declare_relations(\WP_Post $post): void
    {
        $tags = [];
        foreach (get_object_taxonomies($post->post_type) as $taxonomy) {
            $terms = get_the_terms($post, $taxonomy);
            if (is_array($terms)) {
                foreach ($terms as $term) {
                    $tags[] = 'term-' . $term->term_id;
                }
            }
        }
        $depends = [];
        if (preg_match_all('/<!--\s+wp:block\s+\{"ref":(\d+)\}/', $post->post_content, $m) > 0) {
            $depends = array_map('intval', $m[1]);
        }
        /**
         * Filters the posts whose changes must invalidate this post.
         *
         * @param int[]    $depends Post ids.
         * @param \WP_Post $post
         */
        $depends = apply_filters('redis_persona_dependencies', $depends, $post);
        $depends = array_filter(array_map('intval', (array) $depends), static fn (int $id): bool => $id > 0 && $id !== $post->ID);
        $depends = array_values(array_unique($depends));
        $tags = array_values(array_unique($tags));
        if ($depends === [] && $tags === []) {
            return;
        }
        $this->plugin->backend()->run(fn (RelationStore $store) => $store->relate($post->ID, $depends, $tags));
    }
}
