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
 * - Clears the outage flag once Redis is back and nothing is left to replay.
 *
 * What content changes drop and preload is PageInvalidation's job.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageTier
{
    private Plugin $plugin;

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
        // A cluster or Sentinel goes in as the Client's options; constants
        // that describe no usable topology keep the tier off (Backend says why).
        $usable = $config->topology()['errors'] === [];
        [$url, $client] = $usable ? $config->client_arguments() : [null, []];
        unset($client['prefix']);
        return [
            'enabled' => $usable && $config->page_cache() && !$config->disabled() && !is_multisite(),
            'url' => $url,
            'prefix' => $config->prefix(),
            'client' => $client,
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
}
