<?php

/**
 * `wp redis-persona status|warm|flush|stats` when WP-CLI is present.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Cli
{
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    /**
     * Shows the mode, the Redis server and the fallback state.
     *
     * ## EXAMPLES
     *
     *     wp redis-persona status
     */
    public function status(): void
    {
        foreach ($this->plugin->health() as $key => $value) {
            $shown = is_scalar($value) || $value === null ? var_export($value, true) : wp_json_encode($value);
            \WP_CLI::line(sprintf('%-16s %s', $key . ':', $shown));
        }
    }

    /**
     * Renders and stores every persona variant of every published post, or
     * with --pages, every persona of every whole page (the page tier).
     *
     * ## OPTIONS
     *
     * [--pages]
     * : Warm the full-page tier: the home page and every published post and page.
     *
     * ## EXAMPLES
     *
     *     wp redis-persona warm
     *     wp redis-persona warm --pages
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function warm(array $args = [], array $assoc = []): void
    {
        $pages = !empty($assoc['pages']);
        $bar = null;
        $progress = $this->warm_job($pages, static function (array $progress, int $newly) use (&$bar): void {
            $bar ??= \WP_CLI\Utils\make_progress_bar('Warming', (int) $progress['total']);
            for ($i = 0; $i < $newly; $i++) {
                $bar->tick();
            }
        });
        if ($bar !== null) {
            $bar->finish();
        }
        \WP_CLI::success(sprintf(
            '%d %s warmed, %d failed, %d queued for retry.',
            $progress['done'],
            $pages ? 'pages' : 'posts',
            $progress['failed'],
            $progress['queued']
        ));
    }

    /**
     * The command's work without WP-CLI's output: starts the warm-all job and
     * runs its batches in this process until nothing is left to do now;
     * $tick(progress, newly done) after each batch. Returns the last progress.
     *
     * @param (callable(array<string, mixed>, int): void)|null $tick
     * @return array<string, mixed>
     */
    public function warm_job(bool $pages, ?callable $tick = null): array
    {
        $preload = $pages ? $this->plugin->page_preload() : $this->plugin->preload();
        $progress = $preload->warm_all();
        $before = 0;
        while ($preload->run() > 0) {
            $progress = $preload->progress();
            if ($tick !== null) {
                $tick($progress, (int) $progress['done'] - $before);
            }
            $before = (int) $progress['done'];
        }
        return $preload->progress();
    }

    /**
     * Flushes every cached variant (locks and codes are kept).
     *
     * ## EXAMPLES
     *
     *     wp redis-persona flush
     */
    public function flush(): void
    {
        $this->plugin->invalidation()->flush();
        \WP_CLI::success('Cache flushed.');
    }

    /**
     * Hits and misses per day.
     *
     * ## OPTIONS
     *
     * [--days=<days>]
     * : How many days (1-90).
     * ---
     * default: 7
     * ---
     *
     * ## EXAMPLES
     *
     *     wp redis-persona stats --days=30
     *
     * @param list<string>          $args
     * @param array<string, string> $assoc
     */
    public function stats(array $args, array $assoc): void
    {
        $days = max(1, min(90, (int) ($assoc['days'] ?? 7)));
        $rows = $this->plugin->backend()->run(fn (StatsStore $s) => $s->stats($days));
        if ($rows === []) {
            \WP_CLI::warning('No statistics: the database fallback is in use.');
            return;
        }
        \WP_CLI\Utils\format_items('table', $rows, ['date', 'hits', 'misses', 'ratio', 'sets']);
    }
}
