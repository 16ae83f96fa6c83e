<?php

/**
 * Preloads whole pages, every persona of every affected URL, so that the
 * first visitor of each persona after an edit gets a page hit.
 *
 * WordPress loads `advanced-cache.php` only for web requests (WP-CLI never
 * does), so a preload is what a visitor would do: a loopback GET per
 * persona, with the persona cookie and no other cookie, through the drop-in,
 * which renders and stores it. The store is fenced there, so a preload that
 * raced an edit is refused (`X-Redis-Persona-Page-Store: refused`) and
 * retried, never stored with pre-edit HTML.
 *
 * - The queue (option `redis_persona_page_preload_queue`) is keyed by URL:
 *   enqueueing a URL twice keeps one entry; one WP-Cron event serves it.
 * - Batches of URLs (filter `redis_persona_page_preload_batch`, default 8),
 *   home first, then by the views of the post a URL shows.
 * - A URL that failed is retried after 30 s, 60 s, 120 s, 240 s, then dropped.
 * - "Warm all pages" queues the home page and every published post and page
 *   and reports its progress (option `redis_persona_page_warm_job`).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PagePreload
{
    public const HOOK = 'redis_persona_page_preload';
    public const QUEUE_OPTION = 'redis_persona_page_preload_queue';
    public const JOB_OPTION = 'redis_persona_page_warm_job';
    public const PRELOAD_HEADER = 'X-Redis-Persona-Preload';
    public const MAX_WARM_URLS = 5000;

    private Plugin $plugin;
    private PreloadQueue $queue;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        $this->queue = new PreloadQueue(self::HOOK, self::QUEUE_OPTION, self::JOB_OPTION, 'preload:pages');
    }

    /** @param list<string> $urls */
    public function enqueue(array $urls): void
    {
        if ($urls === [] || !$this->plugin->config()->page_cache()) {
            return;
        }
        $home = home_url('/');
        $views = $this->views();
        $items = [];
        foreach ($urls as $url) {
            if (is_string($url) && str_starts_with($url, 'http')) {
                $items[$url] = ['rank' => $url === $home ? PHP_INT_MAX : ($views[$url] ?? 0)];
            }
        }
        $this->queue->add($items);
    }

    /** @return array<string, array<string, mixed>> */
    public function queue(): array
    {
        return $this->queue->items();
    }

    /** "Warm all pages": the home page and every published post and page, every persona. */
    public function warm_all(): array
    {
        $ids = get_posts([
            'post_type' => get_post_types(['public' => true]),
            'post_status' => 'publish',
            'has_password' => false,
            'fields' => 'ids',
            'posts_per_page' => self::MAX_WARM_URLS - 1,
            'no_found_rows' => true,
            'suppress_filters' => true,
        ]);
        $urls = [home_url('/')];
        foreach ($ids as $id) {
            $urls[] = (string) get_permalink((int) $id);
        }
        $urls = array_values(array_unique(array_filter($urls)));
        $this->queue->start_job(count($urls));
        $this->enqueue($urls);
        return $this->progress();
    }

    /** @return array<string, int|bool> */
    public function progress(): array
    {
        return $this->queue->progress();
    }

    /** The cron event: one batch of URLs. Returns the URLs preloaded. */
    public function run(): int
    {
        return $this->queue->exclusively(fn (): int => $this->run_batch());
    }

    private function run_batch(): int
    {
        $now = time();
        $due = $this->queue->due($now);
        uasort($due, static fn (array $a, array $b): int => (int) $b['rank'] <=> (int) $a['rank']);
        $batch = array_slice($due, 0, max(1, (int) apply_filters('redis_persona_page_preload_batch', 8)), true);
        $status = DropIn::status($this->plugin->config());
        if ($status['state'] === 'blocked' && $status['code'] === 'outage' && $due !== []) {
            // Until the outage's invalidations are replayed: the queue waits.
            $this->queue->schedule($now + 60);
            return 0;
        }
        $done = [];
        $failed = [];
        $retry = [];
        foreach ($batch as $url => $taken) {
            // Switched off or blocked for good: nothing to preload, the queue empties.
            $outcome = $status['state'] === 'on' ? $this->preload((string) $url) : 'done';
            if ($outcome === 'done') {
                $done[$url] = $taken;
            } else {
                // Refused (an edit during the render): at once; an error: back off.
                PreloadQueue::again($url, $taken, $now, $outcome !== 'refused', $failed, $retry);
            }
        }
        $this->queue->settle($done, $failed, $retry, $now);
        return count($done);
    }

    /**
     * Fetches every persona's variant of $url through the drop-in: 'done'
     * when each is stored or already cached (or not cacheable at all),
     * 'refused' when a store was fenced off, 'error' otherwise.
     */
    public function preload(string $url): string
    {
        $config = $this->plugin->config();
        $outcome = 'done';
        foreach (array_keys($config->personas()) as $persona) {
            $response = wp_remote_get($url, [
                'timeout' => 15,
                'redirection' => 0,
                'reject_unsafe_urls' => false,
                'sslverify' => (bool) apply_filters('https_local_ssl_verify', false),
                'cookies' => [$config->cookie() => $persona],
                'headers' => [self::PRELOAD_HEADER => '1', 'Accept-Encoding' => 'gzip'],
                'decompress' => false,
            ]);
            if (is_wp_error($response)) {
                $this->plugin->backend()->report(new \RuntimeException('Page preload of ' . $url . ': ' . $response->get_error_message()));
                return 'error';
            }
            $code = (int) wp_remote_retrieve_response_code($response);
            $served = (string) wp_remote_retrieve_header($response, PageServer::HEADER);
            $stored = (string) wp_remote_retrieve_header($response, PageServer::STORE_HEADER);
            if (str_contains($served, 'page-hit') || str_contains($served, 'page-stale') || str_starts_with($stored, 'stored')) {
                continue;
            }
            if ($code >= 500) {
                return 'error';
            }
            $tier = (string) wp_remote_retrieve_header($response, PageServer::PAGE_HEADER);
            if (str_starts_with($stored, 'refused') || ($code === 200 && $tier === 'miss' && $stored === '')) {
                // Fenced off by an edit during the render, or rendered by someone
                // else who held the lease and may have been fenced off: again.
                $outcome = 'refused';
                continue;
            }
            // Redirects, 404s, pages that are not to be shared: nothing to preload.
        }
        return $outcome;
    }

    /** @return array<string, int> permalink => views */
    private function views(): array
    {
        $views = [];
        $popular = $this->plugin->backend()->run(fn (StatsStore $store) => $store->popular(200));
        foreach ($popular as $row) {
            $link = get_permalink((int) $row['post_id']);
            if (is_string($link)) {
                $views[$link] = (int) $row['views'];
            }
        }
        return $views;
    }
}
