<?php

/**
 * The full-page tier's side of content changes: what a change drops, what
 * CDNs are told, and what is preloaded.
 *
 * - An edit, publish, trash or deletion drops the post's pages once more
 *   after terms and meta were saved (wp_after_insert_post), then the
 *   archives, home, feeds and lists it belongs to (tags), fires
 *   `redis_persona_purged`, and queues a preload of every affected URL for
 *   every persona (PagePreload), including cached pages that showed it
 *   (read before its invalidation).
 * - Term edits and deletions, and approved comments, drop what showed them.
 * - Menus, widgets, theme mods, the customizer, site options and block-theme
 *   entities (navigation, templates, styles, patterns) change every page:
 *   they flush the tier (O(1)).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageInvalidation
{
    /** Options whose change shows on every page: they flush the tier. */
    public const SITE_OPTIONS = [
        'blogname', 'blogdescription', 'show_on_front', 'page_on_front', 'page_for_posts', 'posts_per_page',
        'permalink_structure', 'category_base', 'tag_base', 'date_format', 'time_format', 'timezone_string',
        'gmt_offset', 'start_of_week', 'WPLANG', 'site_icon', 'sidebars_widgets', 'blog_public',
        'show_avatars', 'default_comment_status', 'comments_per_page', 'page_comments',
    ];
    /** Option name prefixes whose change shows on every page (widgets, theme mods: menu locations). */
    public const SITE_OPTION_PREFIXES = ['widget_', 'theme_mods_'];
    /** Post types that are part of every page (block themes' navigation, templates, styles; patterns). */
    public const SITE_POST_TYPES = ['wp_navigation', 'wp_template', 'wp_template_part', 'wp_global_styles', 'wp_block', 'nav_menu_item'];
    /** Most affected URLs queued for preload by one change. */
    public const MAX_PRELOAD_URLS = 200;

    private Plugin $plugin;
    /** @var array<int, string> post id => status before the current save */
    private array $old_status = [];
    /** @var array<int, list<string>> post id => URLs of cached pages that showed it, read before its invalidation */
    private array $noted = [];
    /** @var array<int, array{tags: list<string>, urls: list<string>}> what a post being deleted was listed in */
    private array $deleting = [];

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /** transition_post_status: remember the old status for save_post. */
    public function transition($new_status, $old_status, $post): void
    {
        if ($post instanceof \WP_Post) {
            $this->old_status[$post->ID] = (string) $old_status;
        }
    }

    /**
     * save_post (before the post's invalidation), wp_trash_post,
     * before_delete_post: the cached pages that show the post, read while
     * its index still lists them, so the preload covers them too.
     */
    public function note_pages(int $post_id): void
    {
        $this->noted[$post_id] = array_merge($this->noted[$post_id] ?? [], $this->cached_urls([$post_id], []));
    }

    /**
     * wp_after_insert_post (after terms and meta were saved too) and
     * trashed_post: drop the post's pages once more (a render between
     * save_post and now saw the old terms), the archives, home, feeds and
     * lists it belongs to, then preload. Block themes' navigation,
     * templates, styles and patterns change every page: a flush.
     */
    public function post_changed(\WP_Post $post): void
    {
        if (wp_is_post_revision($post) || wp_is_post_autosave($post) || $post->post_status === 'auto-draft') {
            return;
        }
        $old = $this->old_status[$post->ID] ?? $post->post_status;
        if (in_array($post->post_type, self::SITE_POST_TYPES, true)) {
            $this->flush();
            return;
        }
        if ($post->post_status !== 'publish' && $old !== 'publish') {
            return;
        }
        if (!is_post_type_viewable($post->post_type)) {
            return;
        }
        $ids = $this->plugin->backend()->invalidate_post($post->ID);
        // Any list of its type may show its title, excerpt or place.
        $tags = array_merge($this->tags_of($post), ['list-' . $post->post_type]);
        $urls = array_merge($this->noted[$post->ID] ?? [], $this->urls_of($post));
        unset($this->noted[$post->ID]);
        $this->purge(array_values(array_unique(array_merge([$post->ID], $ids))), $tags, $urls);
    }

    /** before_delete_post: what the post is listed in, while it still exists. */
    public function deleting(int $post_id): void
    {
        $post = get_post($post_id);
        if (!$post instanceof \WP_Post || $post->post_status !== 'publish' || !is_post_type_viewable($post->post_type)) {
            return;
        }
        $this->note_pages($post_id);
        $this->deleting[$post_id] = [
            'tags' => array_merge($this->tags_of($post), ['list-' . $post->post_type]),
            'urls' => array_merge($this->noted[$post_id] ?? [], $this->urls_of($post)),
        ];
    }

    /** deleted_post (after the post's own invalidation). */
    public function deleted(int $post_id): void
    {
        $pending = $this->deleting[$post_id] ?? null;
        unset($this->deleting[$post_id], $this->noted[$post_id]);
        if ($pending !== null) {
            $this->purge([$post_id], $pending['tags'], $pending['urls']);
        }
    }

    /** updated_option: site options, widgets and theme mods show on every page. */
    public function option_updated(string $option): void
    {
        $site_wide = in_array($option, self::SITE_OPTIONS, true);
        foreach (self::SITE_OPTION_PREFIXES as $prefix) {
            $site_wide = $site_wide || str_starts_with($option, $prefix);
        }
        if ($site_wide) {
            $this->flush();
        }
    }

    /** edited_term: its archive pages. */
    public function term_edited(int $term_id): void
    {
        $term = get_term($term_id);
        $urls = [];
        if ($term instanceof \WP_Term) {
            $link = get_term_link($term);
            $urls = is_string($link) ? [$link] : [];
        }
        $this->purge([], ['tax-' . $term_id], $urls);
    }

    /** An approved comment changed what a post's page (and the comment feeds) show. */
    public function comment_changed(int $post_id): void
    {
        $post = get_post($post_id);
        if (!$post instanceof \WP_Post || $post->post_status !== 'publish') {
            return;
        }
        $urls = array_merge([(string) get_permalink($post)], $this->cached_urls([$post_id], []));
        $ids = $this->plugin->backend()->invalidate_post($post_id);
        $this->purge(array_values(array_unique(array_merge([$post_id], $ids))), ['feed'], $urls);
    }

    /** Menus, widgets, customizer, site options, theme: every page, O(1). */
    public function flush(): void
    {
        $this->plugin->backend()->flush_pages();
        /** Fires after the page tier dropped pages: URLs and tags (empty tags: everything). */
        do_action('redis_persona_purged', [home_url('/')], []);
        $this->plugin->page_preload()->enqueue([home_url('/')]);
    }

    /**
     * Drops pages showing $posts or tagged $tags (the post's own
     * invalidation already ran), tells CDNs, and preloads.
     *
     * @param list<int>    $posts
     * @param list<string> $tags
     * @param list<string> $urls
     */
    private function purge(array $posts, array $tags, array $urls): void
    {
        $tags = array_values(array_unique($tags));
        $backend = $this->plugin->backend();
        $urls = array_merge($urls, $this->cached_urls([], $tags));
        foreach ($tags as $tag) {
            $backend->invalidate_tag($tag);
        }
        $urls = array_slice(array_values(array_unique(array_filter($urls))), 0, self::MAX_PRELOAD_URLS);
        $keys = array_merge(array_map(static fn (int $id): string => 'post-' . $id, $posts), $tags);
        /**
         * Fires after the page tier dropped pages, so that a CDN can purge the same:
         * the affected URLs and the surrogate keys (`Surrogate-Key`/`Cache-Tag` values).
         *
         * @param string[] $urls
         * @param string[] $tags
         */
        do_action('redis_persona_purged', $urls, $keys);
        $this->plugin->page_preload()->enqueue($urls);
    }

    /**
     * URLs of the cached pages that show $posts or carry $tags (read-only;
     * nothing on the fallback, where the tier does not run).
     *
     * @param list<int>    $posts
     * @param list<string> $tags
     * @return list<string>
     */
    private function cached_urls(array $posts, array $tags): array
    {
        $backend = $this->plugin->backend();
        $client = $backend->mode() === 'redis' ? $backend->client() : null;
        if ($client === null || !class_exists(\RedisPersona\PageCache::class)) {
            return [];
        }
        try {
            return array_values(array_unique(array_map(
                static fn (array $page): string => (string) $page['url'],
                (new \RedisPersona\PageCache($client))->pagesFor($posts, $tags)
            )));
        } catch (\RedisPersona\Exception $e) {
            $backend->report($e);
            return [];
        }
    }

    /** @return list<string> tags of the lists a post appears in */
    private function tags_of(\WP_Post $post): array
    {
        $tags = ['home', 'feed', 'author-' . (int) $post->post_author, 'archive-' . $post->post_type];
        $time = strtotime($post->post_date);
        if ($time !== false) {
            $tags[] = 'date-' . gmdate('Y', $time);
            $tags[] = 'date-' . gmdate('Y-m', $time);
            $tags[] = 'date-' . gmdate('Y-m-d', $time);
        }
        foreach ($this->terms_of($post) as $term) {
            $tags[] = 'tax-' . $term->term_id;
        }
        return $tags;
    }

    /** @return list<string> the URLs whose first page shows or lists the post */
    public function urls_of(\WP_Post $post): array
    {
        $urls = [];
        if ($post->post_status === 'publish') {
            $urls[] = (string) get_permalink($post);
        }
        $urls[] = home_url('/');
        $posts_page = (int) get_option('page_for_posts');
        if ($posts_page > 0 && $post->post_type === 'post') {
            $urls[] = (string) get_permalink($posts_page);
        }
        foreach ($this->terms_of($post) as $term) {
            $link = get_term_link($term);
            if (is_string($link)) {
                $urls[] = $link;
            }
        }
        if ($post->post_type === 'post') {
            $urls[] = get_author_posts_url((int) $post->post_author);
            $time = strtotime($post->post_date);
            if ($time !== false) {
                $urls[] = get_year_link((int) gmdate('Y', $time));
                $urls[] = get_month_link((int) gmdate('Y', $time), (int) gmdate('m', $time));
            }
        }
        $archive = get_post_type_archive_link($post->post_type);
        if (is_string($archive)) {
            $urls[] = $archive;
        }
        $urls[] = get_feed_link();
        return array_values(array_unique(array_filter($urls)));
    }

    /** @return list<\WP_Term> */
    private function terms_of(\WP_Post $post): array
    {
        $terms = [];
        foreach (get_object_taxonomies($post->post_type) as $taxonomy) {
            if (!is_taxonomy_viewable($taxonomy)) {
                continue;
            }
            $found = get_the_terms($post, $taxonomy);
            if (is_array($found)) {
                array_push($terms, ...$found);
            }
        }
        return $terms;
    }
}
