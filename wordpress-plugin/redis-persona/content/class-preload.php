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

    private Plugin $plugin;
    private PreloadQueue $queue;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
        $this->queue = new PreloadQueue(self::HOOK, self::QUEUE_OPTION, self::JOB_OPTION, 'preload:runner');
    }

    /** @param list<int> $post_ids */
    public function enqueue(array $post_ids, int $delay = 0): void
    {
        $items = [];
        foreach ($post_ids as $id) {
            if ((int) $id > 0) {
                $items[(int) $id] = [];
            }
        }
        $this->queue->add($items, $delay);
    }

    /** @return array<int, array{attempts: int, not_before: int, stamp?: string}> */
    public function queue(): array
    {
        return $this->queue->items();
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
        $this->queue->start_job(count($ids));
        $this->enqueue($ids);
        return $this->progress();
    }

    /** @return array<string, int|bool> */
    public function progress(): array
    {
        return $this->queue->progress();
    }

    /** The cron event: one batch. */
    public function run(): int
    {
        if (Content::do_not_cache()) {
            // Defined before any preload began (another plugin, in cron): try later.
            $this->queue->schedule(time() + 60);
            return 0;
        }
        return $this->queue->exclusively(fn (): int => $this->run_batch());
    }

    private function run_batch(): int
    {
        $now = time();
        $due = $this->queue->due($now);
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
            $taken = $due[$id];
            try {
                if ($this->preload($id)) {
                    $done[$id] = $taken;
                } else {
                    // Invalidated during its render: again at once, failed after its attempts.
                    PreloadQueue::again($id, $taken, $now, false, $failed, $retry);
                }
            } catch (\Throwable $e) {
                PreloadQueue::again($id, $taken, $now, true, $failed, $retry);
                $this->plugin->backend()->report($e);
            }
        }
        $this->queue->settle($done, $failed, $retry, $now);
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
}
