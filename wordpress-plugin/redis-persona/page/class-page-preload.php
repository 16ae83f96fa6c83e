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
    private const MAX_ATTEMPTS = 5;
    private const RETRY_BASE = 30;
    private const RUN_LOCK = 'preload:pages';

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /** @param list<string> $urls */
    public function enqueue(array $urls): void
    {
        if ($urls === [] || !$this->plugin->config()->page_cache()) {
            return;
        }
        $queue = $this->queue();
        $home = home_url('/');
        $views = $this->views();
        foreach ($urls as $url) {
            if (!is_string($url) || !str_starts_with($url, 'http')) {
                continue;
            }
            $rank = $url === $home ? PHP_INT_MAX : ($views[$url] ?? 0);
            $queue[$url] = ['attempts' => 0, 'not_before' => 0, 'rank' => $rank, 'stamp' => bin2hex(random_bytes(6))];
        }
        update_option(self::QUEUE_OPTION, $queue, false);
        $this->schedule(time());
    }

    /** @return array<string, array{attempts: int, not_before: int, rank: int, stamp: string}> */
    public function queue(): array
    {
        wp_cache_delete(self::QUEUE_OPTION, 'options');
        $queue = get_option(self::QUEUE_OPTION, []);
        return is_array($queue) ? $queue : [];
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
        update_option(self::JOB_OPTION, [
            'total' => count($urls),
            'done' => 0,
            'failed' => 0,
            'started' => time(),
            'finished' => 0,
        ], false);
        $this->enqueue($urls);
        return $this->progress();
    }

    /** @return array<string, int|bool> */
    public function progress(): array
    {
        wp_cache_delete(self::JOB_OPTION, 'options');
        $job = get_option(self::JOB_OPTION, []);
        $job = is_array($job) ? $job : [];
        $next = wp_next_scheduled(self::HOOK);
        return [
            'total' => (int) ($job['total'] ?? 0),
            'done' => (int) ($job['done'] ?? 0),
            'failed' => (int) ($job['failed'] ?? 0),
            'queued' => count($this->queue()),
            'running' => !empty($job) && empty($job['finished']),
            'started' => (int) ($job['started'] ?? 0),
            'finished' => (int) ($job['finished'] ?? 0),
            'next_run' => $next === false ? 0 : (int) $next,
        ];
    }

    /** The cron event: one batch of URLs. Returns the URLs preloaded. */
    public function run(): int
    {
        $table = new StateTable();
        $token = bin2hex(random_bytes(8));
        if (!$table->insert(self::RUN_LOCK, $token, 0, StateTable::now_ms() + 300000)) {
            return 0;
        }
        try {
            return $this->run_batch();
        } finally {
            $table->delete_if(self::RUN_LOCK, $token);
        }
    }

    private function run_batch(): int
    {
        $now = time();
        $queue = $this->queue();
        $due = array_filter($queue, static fn (array $item): bool => (int) $item['not_before'] <= $now);
        uasort($due, static fn (array $a, array $b): int => (int) $b['rank'] <=> (int) $a['rank']);
        $batch = array_slice($due, 0, max(1, (int) apply_filters('redis_persona_page_preload_batch', 8)), true);
        $status = DropIn::status($this->plugin->config());
        $state = $status['state'];
        if ($state === 'blocked' && $status['code'] === 'outage' && $queue !== []) {
            // Until the outage's invalidations are replayed: the queue waits.
            $this->schedule($now + 60);
            return 0;
        }
        $done = [];
        $failed = [];
        $retry = [];
        foreach ($batch as $url => $taken) {
            // Switched off: nothing to preload, the queue empties.
            $outcome = $state === 'on' ? $this->preload((string) $url) : 'done';
            if ($outcome === 'done') {
                $done[$url] = $taken;
                continue;
            }
            $attempts = (int) $taken['attempts'] + 1;
            if ($attempts >= self::MAX_ATTEMPTS) {
                $failed[$url] = $taken;
                continue;
            }
            // Refused (an edit during the render): at once; an error: back off.
            $delay = $outcome === 'refused' ? 0 : self::RETRY_BASE * (2 ** ($attempts - 1));
            $retry[$url] = ['attempts' => $attempts, 'not_before' => $now + $delay] + $taken;
        }
        // Merge with what was enqueued meanwhile: a newer stamp is a newer change; it stays.
        $queue = $this->queue();
        foreach ($done + $failed + $retry as $url => $taken) {
            $current = $queue[$url] ?? null;
            if ($current !== null && ($current['stamp'] ?? '') !== ($taken['stamp'] ?? '')) {
                continue;
            }
            if (isset($retry[$url])) {
                $queue[$url] = $retry[$url];
            } else {
                unset($queue[$url]);
            }
        }
        update_option(self::QUEUE_OPTION, $queue, false);
        $this->count_progress(count($done), count($failed), $queue === []);
        if ($queue !== []) {
            $this->schedule(max($now, min(array_column($queue, 'not_before'))));
        }
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

    private function schedule(int $at): void
    {
        $next = wp_next_scheduled(self::HOOK);
        if ($next !== false && $next <= $at) {
            return;
        }
        if ($next !== false) {
            wp_unschedule_event($next, self::HOOK);
        }
        wp_schedule_single_event($at, self::HOOK);
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

    private function count_progress(int $done, int $failed, bool $empty): void
    {
        wp_cache_delete(self::JOB_OPTION, 'options');
        $job = get_option(self::JOB_OPTION);
        if (!is_array($job) || !empty($job['finished'])) {
            return;
        }
        $job['done'] = min((int) $job['total'], (int) $job['done'] + $done);
        $job['failed'] = (int) $job['failed'] + $failed;
        if ($empty) {
            $job['finished'] = time();
        }
        update_option(self::JOB_OPTION, $job, false);
    }
}
