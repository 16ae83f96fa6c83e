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
     * Renders and stores every persona variant of every published post.
     *
     * ## EXAMPLES
     *
     *     wp redis-persona warm
     */
    public function warm(): void
    {
        $preload = $this->plugin->preload();
        $progress = $preload->warm_all();
        $bar = \WP_CLI\Utils\make_progress_bar('Warming', (int) $progress['total']);
        $before = 0;
        while ($preload->run() > 0) {
            $done = (int) $preload->progress()['done'];
            for ($i = $before; $i < $done; $i++) {
                $bar->tick();
            }
            $before = $done;
        }
        $bar->finish();
        $progress = $preload->progress();
        \WP_CLI::success(sprintf(
            '%d posts warmed, %d failed, %d queued for retry.',
            $progress['done'],
            $progress['failed'],
            $progress['queued']
        ));
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
