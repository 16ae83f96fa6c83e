<?php

/**
 * Persona variants of post content.
 *
 * For a singular front-end view the variant is looked up (and rendered on a
 * miss) at `template_redirect`, before any output, so the response's
 * `X-Redis-Persona: <persona>; hit|miss|stale|bypass|fallback` header tells
 * the truth. When the theme then calls `the_content`, the first callback
 * (lowest priority) hands the filters an empty string and the last one
 * substitutes the cached HTML: on a hit blocks, shortcodes, wpautop and every
 * other filter see nothing to do, and no shortcode runs.
 *
 * On a miss the pipeline runs once, inside the cache's render callback, as a
 * nested `apply_filters('the_content')` that our own callbacks pass through;
 * the result is the final HTML, with `redis_persona_render` applied.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Content
{
    private Plugin $plugin;
    /** @var array<int, string> the main post's variant, by post id */
    private array $prepared = [];
    /** @var list<string|null> one frame per outer the_content call */
    private array $frames = [];
    private int $rendering = 0;
    private string $status = 'bypass';
    private string $cache_status = '';

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /** template_redirect: look the main post up, then send the headers. */
    public function prepare(): void
    {
        if (is_admin() || wp_doing_ajax() || wp_doing_cron() || (defined('REST_REQUEST') && REST_REQUEST)) {
            return;
        }
        $persona = $this->plugin->persona()->current();
        $post = is_singular() ? get_queried_object() : null;
        if ($post instanceof \WP_Post && !$this->bypass($post)) {
            $backend = $this->plugin->backend();
            try {
                [$html, $status] = $backend->run(
                    fn (ContentStore $store) => $store->remember(
                        $post->ID,
                        $persona,
                        fn (): string => $this->render($post, $persona, true),
                        $this->plugin->config()->ttl()
                    )
                );
            } catch (DoNotCache $e) {
                [$html, $status] = [$e->html(), 'bypass'];
            }
            $this->prepared[$post->ID] = $html;
            $this->cache_status = $status;
            $this->status = $backend->mode() === 'fallback' ? 'fallback' : $status;
            $backend->run(fn (StatsStore $store) => $store->record_view($post->ID));
        }
        if (!headers_sent()) {
            header('X-Redis-Persona: ' . $persona . '; ' . $this->status);
            if ($this->status === 'fallback') {
                header('X-Redis-Persona-Fallback: ' . $this->cache_status);
            }
            header('Vary: Cookie', false);
        }
    }

    /** What the header says for this request. */
    public function status(): string
    {
        return $this->status;
    }

    /** Whether this view of the post must not use the cache. */
    public function bypass(\WP_Post $post): bool
    {
        // A private view must never be read from or stored into the shared
        // cache: any logged-in user (a subscriber's render can carry their
        // nonce or name), a session cookie (commenter, post password, shop),
        // or a page that said DONOTCACHEPAGE.
        $bypass = is_preview()
            || is_admin()
            || $post->post_status !== 'publish'
            || $post->post_password !== ''
            || str_contains($post->post_content, '<!--nextpage-->')
            || !in_array($_SERVER['REQUEST_METHOD'] ?? 'GET', ['GET', 'HEAD'], true)
            || is_user_logged_in()
            || Policy::has_session_cookie()
            || self::do_not_cache();
        /**
         * Filters whether a view of a post bypasses the persona cache.
         *
         * @param bool     $bypass
         * @param \WP_Post $post
         */
        return (bool) apply_filters('redis_persona_bypass', $bypass, $post);
    }

    /** Whether something on this request asked that nothing be cached. */
    public static function do_not_cache(): bool
    {
        return defined('DONOTCACHEPAGE') && DONOTCACHEPAGE;
    }

    /** the_content, first callback. */
    public function begin($content)
    {
        if ($this->rendering > 0) {
            return $content;
        }
        $id = get_the_ID();
        if (is_int($id) && isset($this->prepared[$id])) {
            $this->frames[] = $this->prepared[$id];
            return '';
        }
        $this->frames[] = null;
        return $content;
    }

    /** the_content, last callback. */
    public function end($content)
    {
        if ($this->rendering > 0 || $this->frames === []) {
            return $content;
        }
        $html = array_pop($this->frames);
        return $html ?? $content;
    }

    /**
     * The full content of a post as $persona sees it: the whole pipeline,
     * once. With $for_cache, a render that defines DONOTCACHEPAGE throws
     * DoNotCache (carrying its HTML) so that the store never keeps it.
     */
    public function render(\WP_Post $post, string $persona, bool $for_cache = false): string
    {
        return $this->plugin->persona()->with($persona, function () use ($post, $persona, $for_cache): string {
            global $more;
            $previous_post = $GLOBALS['post'] ?? null;
            $previous_more = $more;
            $GLOBALS['post'] = $post;
            setup_postdata($post);
            $more = 1;
            $this->rendering++;
            try {
                $html = (string) apply_filters('the_content', get_the_content(null, false, $post));
                $html = str_replace(']]>', ']]&gt;', $html);
            } finally {
                $this->rendering--;
                $more = $previous_more;
                $GLOBALS['post'] = $previous_post;
                if ($previous_post instanceof \WP_Post) {
                    setup_postdata($previous_post);
                }
            }
            /**
             * Filters a persona variant's HTML before it is cached.
             *
             * @param string   $html
             * @param \WP_Post $post
             * @param string   $persona
             */
            $html = apply_filters('redis_persona_render', $html, $post, $persona);
            $html = is_string($html) ? $html : '';
            if ($for_cache && self::do_not_cache()) {
                throw new DoNotCache($html);
            }
            return $html;
        });
    }

    /**
     * Every persona's variant of a post, as an anonymous visitor sees it
     * (preloading, "warm all"): whoever triggered it, the render runs as
     * user 0 without the request's cookies, so an admin's or a member's view
     * is never stored for everybody. Personas whose render asked not to be
     * cached are left out.
     *
     * @return array<string, string>
     */
    public function render_all(\WP_Post $post): array
    {
        return self::as_anonymous(function () use ($post): array {
            $variants = [];
            foreach (array_keys($this->plugin->config()->personas()) as $persona) {
                try {
                    $variants[$persona] = $this->render($post, $persona, true);
                } catch (DoNotCache $e) {
                    continue;
                }
            }
            return $variants;
        });
    }

    /**
     * Runs $work as an anonymous visitor: user 0, no cookies.
     *
     * @template T
     * @param callable(): T $work
     * @return T
     */
    public static function as_anonymous(callable $work)
    {
        $user = get_current_user_id();
        $cookies = $_COOKIE;
        wp_set_current_user(0);
        $_COOKIE = [];
        try {
            return $work();
        } finally {
            $_COOKIE = $cookies;
            wp_set_current_user($user);
        }
    }
}
