<?php

/**
 * The full-page tier inside WordPress: what the drop-in cannot do before
 * WordPress loads.
 *
 * - Writes the drop-in's settings file (PageSettings) from the plugin's
 *   settings, and rewrites it whenever it is out of date.
 * - During a render the drop-in may store, vouches for it and records what
 *   it shows (PageTags): anonymous visitor, the persona the drop-in keyed
 *   on, the posts of every loop, the archive it is.
 * - When content changes, drops the pages that showed it or list it (an
 *   invalidation of the post, then of the tags of the archives, home and
 *   feeds it belongs to), fires `redis_persona_purged` for CDNs, and queues
 *   a preload of every affected URL for every persona (PagePreload).
 * - Menus, widgets, the customizer and site options change every page:
 *   they flush the tier (O(1)).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageTier
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

    /**
     * What the settings file holds. The Redis password goes in too (the
     * file is PHP, so a web request for it returns nothing).
     *
     * @return array<string, mixed>
     */
    public function settings(): array
    {
        $config = $this->plugin->config();
        $hosts = [];
        foreach ([home_url('/'), site_url('/')] as $url) {
            $parts = wp_parse_url($url);
            if (is_array($parts) && isset($parts['host'])) {
                $https = ($parts['scheme'] ?? 'http') === 'https';
                $port = isset($parts['port']) && $parts['port'] !== ($https ? 443 : 80) ? ':' . $parts['port'] : '';
                $hosts[] = strtolower($parts['host']) . $port;
            }
        }
        $nonce_life = (int) apply_filters('nonce_life', DAY_IN_SECONDS);
        return [
            'enabled' => $config->page_cache() && !$config->disabled() && !is_multisite(),
            'url' => $config->url(),
            'prefix' => $config->prefix(),
            'client' => ['cluster' => [], 'sentinel' => [], 'service' => ''],
            'personas' => array_keys($config->personas()),
            'default_persona' => $config->default_persona(),
            'cookie' => $config->cookie(),
            'hosts' => array_values(array_unique($hosts)),
            'ttl' => $config->page_ttl(),
            'stale_ttl' => Policy::PAGE_STALE_TTL,
            // A nonce is valid for at least half its life: a page holding one,
            // stale window included, must be gone well before that.
            'nonce_ttl' => max(60, intdiv(max(120, $nonce_life), 2) - Policy::PAGE_STALE_TTL - 60),
            'bypass_cookies' => Policy::session_cookies(),
            'exclude' => Policy::page_exclude(),
            'ignored_parameters' => Policy::page_ignored_parameters(),
        ];
    }

    /** Rewrites the settings file when it differs from what it should hold. */
    public function sync_settings(): bool
    {
        $settings = $this->settings();
        $written = PageSettings::written();
        if (is_array($written)) {
            $fingerprint = $written['fingerprint'] ?? '';
            unset($written['format'], $written['fingerprint']);
            if ($written === $settings && $fingerprint === PageSettings::fingerprint()) {
                return true;
            }
        }
        return PageSettings::write($settings);
    }

    /** Activation and settings changes: drop-in, settings file. */
    public function install(): string
    {
        $this->sync_settings();
        if (!$this->plugin->config()->page_cache()) {
            return 'off';
        }
        return DropIn::install();
    }

    /**
     * Front-end requests: when the drop-in found its settings missing or out
     * of date, rewrite them; when it holds a render, watch it.
     */
    public function front_end(): void
    {
        $reason = PageServer::reason();
        if ($reason === 'no-settings' || $reason === 'stale-settings' || $reason === 'bad-settings') {
            $this->sync_settings();
        }
        if (PageSettings::outage_raised()) {
            // The first request after an outage replays its invalidations
            // (Backend clears the flag); a flag with nothing to replay goes too.
            $backend = $this->plugin->backend();
            if ($backend->mode() === 'redis' && $backend->outage() === null) {
                $backend->clear_outage_flag();
            }
        }
        if (PageServer::render() === null) {
            return;
        }
        add_action('template_redirect', fn () => $this->begin_render(), 1);
        add_action('the_post', static function ($post): void {
            if ($post instanceof \WP_Post) {
                PageTags::post($post->ID);
            }
        });
        // Secondary lists, including get_posts() (suppress_filters skips
        // the_posts, not pre_get_posts): a publish or edit of that type drops them.
        add_action('pre_get_posts', static function ($query): void {
            if ($query instanceof \WP_Query && !$query->is_main_query()) {
                $types = array_filter((array) $query->get('post_type'));
                foreach ($types !== [] ? $types : ['post'] as $type) {
                    if (is_string($type)) {
                        PageTags::tag('list-' . $type);
                    }
                }
            }
        });
        add_filter('get_pages', static function ($pages) {
            PageTags::tag('list-page');
            return $pages;
        });
        add_filter('nonce_life', static function ($life) {
            PageTags::nonce();
            return $life;
        }, PHP_INT_MAX);
    }

    /** template_redirect: vouch for the render, or refuse it. */
    private function begin_render(): void
    {
        $render = PageServer::render();
        if ($render === null) {
            return;
        }
        PageTags::begin($this->plugin->persona()->current());
        if (is_user_logged_in()) {
            PageTags::refuse('logged-in');
        } elseif (
            is_preview() || is_admin() || is_robots() || is_trackback() || is_search() || is_404()
            || get_query_var('sitemap') !== ''
        ) {
            // Sitemaps list everything and carry no tags: never stored.
            PageTags::refuse('not-a-page');
        } elseif (is_singular() && post_password_required(get_queried_object() instanceof \WP_Post ? get_queried_object() : null)) {
            PageTags::refuse('password');
        } elseif (Content::do_not_cache()) {
            PageTags::refuse('donotcachepage');
        }
        foreach ($this->context_tags() as $tag) {
            PageTags::tag($tag);
        }
    }

    /** Tags of the main query's archive (home, term, author, date, type, feed). @return list<string> */
    private function context_tags(): array
    {
        $tags = [];
        if (is_front_page() || is_home()) {
            $tags[] = 'home';
        }
        if (is_category() || is_tag() || is_tax()) {
            $term = get_queried_object();
            if ($term instanceof \WP_Term) {
                $tags[] = 'tax-' . $term->term_id;
            }
        }
        if (is_author()) {
            $tags[] = 'author-' . (int) get_query_var('author');
        }
        if (is_date()) {
            $tags[] = 'date-' . self::date_key((int) get_query_var('year'), (int) get_query_var('monthnum'), (int) get_query_var('day'));
        }
        if (is_post_type_archive()) {
            $type = get_query_var('post_type');
            foreach ((array) $type as $name) {
                $tags[] = 'archive-' . $name;
            }
        }
        if (is_feed()) {
            $tags[] = 'feed';
        }
        return $tags;
    }

    private static function date_key(int $year, int $month, int $day): string
    {
        $key = sprintf('%04d', $year);
        if ($month > 0) {
            $key .= sprintf('-%02d', $month);
            if ($day > 0) {
                $key .= sprintf('-%02d', $day);
            }
        }
        return $key;
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
