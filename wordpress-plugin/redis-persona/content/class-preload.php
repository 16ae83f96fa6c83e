<?php

/**
 * Renders every persona variant of changed posts in the background (WP-Cron),
 * so visitors after an edit get a hit.
 *
 * - The queue (option `redis_persona_preload_queue`) is keyed by post id:
 *   enqueueing a post twice keeps one entry, and one cron event serves the
 *   whole queue (`wp_next_scheduled` deduplicates it).
 * - Each run takes one batch (filter `redis_persona_preload_batch`, default
 *   10 posts), most-viewed first, renders all personas of each post and
 *   stores them in one pipelined round trip; then it schedules itself again
 *   while work is left.
 * - A post whose render fails is retried after 30 s, 60 s, 120 s, 240 s, then
 *   dropped (and counted as failed in the warm-all progress).
 * - One runner at a time: a lock row in the state table.
 * - Never pre-edit HTML: each post's fence is observed before its personas
 *   render, and the store refuses the batch when an edit or flush moved it
 *   meanwhile. Every enqueue stamps the entry, so a post edited while its
 *   preload ran stays queued and is preloaded again.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Preload
{
    public const HOOK = 'redis_persona_preload';
    public const QUEUE_OPTION = 'redis_persona_preload_queue';
    public const JOB_OPTION = 'redis_persona_warm_job';
    private const MAX_ATTEMPTS = 5;
    private const RETRY_BASE = 30;
    private const RUN_LOCK = 'preload:runner';

    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /** @param list<int> $post_ids */
    public function enqueue(array $post_ids, int $delay = 0): void
    {
        if ($post_ids === []) {
            return;
        }
        $queue = $this->queue();
        $stamp = self::stamp();
        foreach ($post_ids as $id) {
            $id = (int) $id;
            if ($id > 0) {
                // A new stamp even when queued: a run that took the older entry keeps this one.
                $queue[$id] = ['attempts' => 0, 'not_before' => 0, 'stamp' => $stamp];
            }
        }
        update_option(self::QUEUE_OPTION, $queue, false);
        $this->schedule(time() + $delay);
    }

    private static function stamp(): string
    {
        return bin2hex(random_bytes(6));
    }

    /** @return array<int, array{attempts: int, not_before: int, stamp?: string}> */
    public function queue(): array
    {
        wp_cache_delete(self::QUEUE_OPTION, 'options');
        $queue = get_option(self::QUEUE_OPTION, []);
        return is_array($queue) ? $queue : [];
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

    /** Starts "warm all": every published post of a public type. */
    public function warm_all(): array
    {
        $ids = get_posts([
            'post_type' => get_post_types(['public' => true]),
            'post_status' => 'publish',
            'fields' => 'ids',
            'posts_per_page' => -1,
            'no_found_rows' => true,
            'suppress_filters' => true,
        ]);
        $ids = array_map('intval', $ids);
        update_option(self::JOB_OPTION, [
            'total' => count($ids),
            'done' => 0,
            'failed' => 0,
            'started' => time(),
            'finished' => 0,
        ], false);
        $this->enqueue($ids);
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

    /** The cron event: one batch. */
    public function run(): int
    {
        if (Content::do_not_cache()) {
            // Defined before any preload began (another plugin, in cron): try later.
            $this->schedule(time() + 60);
            return 0;
        }
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
        $due = array_filter($queue, static fn (array $item): bool => $item['not_before'] <= $now);
        $batch_size = max(1, (int) apply_filters('redis_persona_preload_batch', 10));
        $batch = array_slice($this->most_viewed_first(array_keys($due)), 0, $batch_size);
        $done = [];
        $failed = [];
        $retry = [];
        foreach ($batch as $id) {
            if (Content::do_not_cache()) {
                // A page rendered in this process defined DONOTCACHEPAGE, and a
                // constant stays defined: nothing more can be stored here. The
                // rest of the batch waits for the next run (a new process).
                break;
            }
            $taken = $queue[$id];
            try {
                if ($this->preload($id)) {
                    $done[$id] = $taken;
                } elseif ($taken['attempts'] + 1 >= self::MAX_ATTEMPTS) {
                    $failed[$id] = $taken;
                } else {
                    // Invalidated during its render: the edit's own entry (or this one) runs it again.
                    $retry[$id] = ['attempts' => $taken['attempts'] + 1, 'not_before' => $now, 'stamp' => $taken['stamp'] ?? ''];
                }
            } catch (\Throwable $e) {
                $attempts = $taken['attempts'] + 1;
                if ($attempts >= self::MAX_ATTEMPTS) {
                    $failed[$id] = $taken;
                } else {
                    $retry[$id] = [
                        'attempts' => $attempts,
                        'not_before' => $now + self::RETRY_BASE * (2 ** ($attempts - 1)),
                        'stamp' => $taken['stamp'] ?? '',
                    ];
                }
                $this->plugin->backend()->report($e);
            }
        }
        // Merge with what was enqueued meanwhile: an entry stamped after this
        // run took its own is an edit during the preload, and stays as it is.
        $queue = $this->queue();
        foreach ($done + $failed + $retry as $id => $taken) {
            $current = $queue[$id] ?? null;
            if ($current !== null && ($current['stamp'] ?? '') !== ($taken['stamp'] ?? '')) {
                continue;
            }
            if (isset($retry[$id])) {
                $queue[$id] = $retry[$id];
            } else {
                unset($queue[$id]);
            }
        }
        update_option(self::QUEUE_OPTION, $queue, false);
        $this->count_progress(count($done), count($failed), $queue === []);
        if ($queue !== []) {
            $next = min(array_column($queue, 'not_before'));
            $this->schedule(max($next, $now));
        }
        return count($done);
    }

    /**
     * Renders every persona of one post as an anonymous visitor and stores
     * them in one round trip, fenced: false when an edit or flush during the
     * render made the store refuse it.
     */
    public function preload(int $post_id): bool
    {
        $post = get_post($post_id);
        if (!$post instanceof \WP_Post || $post->post_status !== 'publish' || $post->post_password !== '') {
            return true;
        }
        $backend = $this->plugin->backend();
        $fence = $backend->run(fn (ContentStore $store) => $store->observe($post_id));
        $variants = $this->plugin->content()->render_all($post);
        if ($variants === []) {
            return true;
        }
        $ttl = $this->plugin->config()->ttl();
        // A switch of store between observe and warm makes the fence foreign: refused, retried.
        $stored = $backend->run(fn (ContentStore $store) => $store->warm($post_id, $variants, $ttl, $fence));
        return $stored > 0;
    }

    /**
     * @param list<int> $ids
     * @return list<int>
     */
    private function most_viewed_first(array $ids): array
    {
        $views = [];
        foreach ($this->plugin->backend()->run(fn (StatsStore $store) => $store->popular(1000)) as $row) {
            $views[(int) $row['post_id']] = (int) $row['views'];
        }
        usort($ids, static fn (int $a, int $b): int => [$views[$b] ?? 0, $a] <=> [$views[$a] ?? 0, $b]);
        return $ids;
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
