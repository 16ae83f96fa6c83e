<?php

/**
 * The WP-Cron work queue both preloads use (post content: Preload; whole
 * pages: PagePreload), so that enqueueing, scheduling, one runner at a
 * time, retries with backoff and warm-all progress work the same way.
 *
 * - The queue is one option, keyed by item (a post id, a URL): enqueueing
 *   an item twice keeps one entry, and one cron event serves the queue.
 * - Every enqueue stamps its entries: a run that took an older entry keeps
 *   the newer one (an edit during its own preload is preloaded again).
 * - An item that failed is retried after 30 s, 60 s, 120 s, 240 s, then
 *   dropped (and counted as failed in the warm-all progress).
 * - One runner at a time: a lock row in the state table.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PreloadQueue
{
    public const MAX_ATTEMPTS = 5;
    public const RETRY_BASE = 30;

    private string $hook;
    private string $queue_option;
    private string $job_option;
    private string $lock;

    public function __construct(string $hook, string $queue_option, string $job_option, string $lock)
    {
        $this->hook = $hook;
        $this->queue_option = $queue_option;
        $this->job_option = $job_option;
        $this->lock = $lock;
    }

    /**
     * Adds (or re-stamps) items; $extra fields are kept with each entry.
     *
     * @param array<int|string, array<string, mixed>> $items key => extra fields
     */
    public function add(array $items, int $delay = 0): void
    {
        if ($items === []) {
            return;
        }
        $queue = $this->items();
        $stamp = bin2hex(random_bytes(6));
        foreach ($items as $key => $extra) {
            $queue[$key] = ['attempts' => 0, 'not_before' => 0, 'stamp' => $stamp] + $extra;
        }
        update_option($this->queue_option, $queue, false);
        $this->schedule(time() + $delay);
    }

    /** @return array<int|string, array<string, mixed>> */
    public function items(): array
    {
        wp_cache_delete($this->queue_option, 'options');
        $queue = get_option($this->queue_option, []);
        return is_array($queue) ? $queue : [];
    }

    /** @return array<int|string, array<string, mixed>> the entries due now */
    public function due(int $now): array
    {
        return array_filter($this->items(), static fn (array $item): bool => (int) $item['not_before'] <= $now);
    }

    public function schedule(int $at): void
    {
        $next = wp_next_scheduled($this->hook);
        if ($next !== false && $next <= $at) {
            return;
        }
        if ($next !== false) {
            wp_unschedule_event($next, $this->hook);
        }
        wp_schedule_single_event($at, $this->hook);
    }

    /**
     * Runs $batch while holding the runner lock; 0 when another runner holds it.
     *
     * @param callable(): int $batch
     */
    public function exclusively(callable $batch): int
    {
        $table = new StateTable();
        $token = bin2hex(random_bytes(8));
        if (!$table->insert($this->lock, $token, 0, StateTable::now_ms() + 300000)) {
            return 0;
        }
        try {
            return $batch();
        } finally {
            $table->delete_if($this->lock, $token);
        }
    }

    /**
     * Files an entry a run must try again: into $retry, at once or after the
     * backoff ($backoff, for errors), or into $failed once it has had its
     * attempts.
     *
     * @param int|string $key
     * @param array<string, mixed> $taken
     * @param array<int|string, array<string, mixed>> $failed
     * @param array<int|string, array<string, mixed>> $retry
     */
    public static function again($key, array $taken, int $now, bool $backoff, array &$failed, array &$retry): void
    {
        $attempts = (int) $taken['attempts'] + 1;
        if ($attempts >= self::MAX_ATTEMPTS) {
            $failed[$key] = $taken;
            return;
        }
        $delay = $backoff ? self::RETRY_BASE * (2 ** ($attempts - 1)) : 0;
        $retry[$key] = ['attempts' => $attempts, 'not_before' => $now + $delay] + $taken;
    }

    /**
     * Writes a run's outcome back, merged with what was enqueued meanwhile
     * (an entry stamped after the run took its own stays as it is), counts
     * the progress, and schedules the next run while work is left.
     *
     * @param array<int|string, array<string, mixed>> $done
     * @param array<int|string, array<string, mixed>> $failed
     * @param array<int|string, array<string, mixed>> $retry
     */
    public function settle(array $done, array $failed, array $retry, int $now): void
    {
        $queue = $this->items();
        foreach ($done + $failed + $retry as $key => $taken) {
            $current = $queue[$key] ?? null;
            if ($current !== null && ($current['stamp'] ?? '') !== ($taken['stamp'] ?? '')) {
                continue;
            }
            if (isset($retry[$key])) {
                $queue[$key] = $retry[$key];
            } else {
                unset($queue[$key]);
            }
        }
        update_option($this->queue_option, $queue, false);
        $this->count_progress(count($done), count($failed), $queue === []);
        if ($queue !== []) {
            $this->schedule(max($now, (int) min(array_column($queue, 'not_before'))));
        }
    }

    /** Starts a warm-all job of $total items (its progress is progress()). */
    public function start_job(int $total): void
    {
        update_option($this->job_option, [
            'total' => $total,
            'done' => 0,
            'failed' => 0,
            'started' => time(),
            'finished' => 0,
        ], false);
    }

    /** @return array<string, int|bool> */
    public function progress(): array
    {
        wp_cache_delete($this->job_option, 'options');
        $job = get_option($this->job_option, []);
        $job = is_array($job) ? $job : [];
        $next = wp_next_scheduled($this->hook);
        if ($next === false && $this->items() !== []) {
            // Work left and no event: one was lost (two processes writing the
            // `cron` option at once keep only one's change). Schedule it again.
            $this->schedule(time());
            $next = wp_next_scheduled($this->hook);
        }
        return [
            'total' => (int) ($job['total'] ?? 0),
            'done' => (int) ($job['done'] ?? 0),
            'failed' => (int) ($job['failed'] ?? 0),
            'queued' => count($this->items()),
            'running' => !empty($job) && empty($job['finished']),
            'started' => (int) ($job['started'] ?? 0),
            'finished' => (int) ($job['finished'] ?? 0),
            'next_run' => $next === false ? 0 : (int) $next,
        ];
    }

    private function count_progress(int $done, int $failed, bool $empty): void
    {
        wp_cache_delete($this->job_option, 'options');
        $job = get_option($this->job_option);
        if (!is_array($job) || !empty($job['finished'])) {
            return;
        }
        $job['done'] = min((int) $job['total'], (int) $job['done'] + $done);
        $job['failed'] = (int) $job['failed'] + $failed;
        if ($empty) {
            $job['finished'] = time();
        }
        update_option($this->job_option, $job, false);
    }
}
