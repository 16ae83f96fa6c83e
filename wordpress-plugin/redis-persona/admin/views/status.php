<?php

/**
 * The Status tab: mode, server, latency and memory cards, the 7-day chart,
 * popular posts, recent invalidations, and the warm/flush buttons (admin.js).
 *
 * @var array<string, mixed> $health Plugin::health()
 * @var array<string, mixed> $redis the extension's health(), or []
 * @var array<string, mixed> $memory
 * @var array<int, array<string, mixed>> $stats
 * @var array<int, array<string, mixed>> $popular
 * @var array<int, array<string, mixed>> $recent
 * @var array{state: string, why: string, fix: string} $page DropIn::status()
 */

declare(strict_types=1);

use RedisPersona\WordPress\Chart;

if (!defined('ABSPATH')) {
    exit;
}
?>
<div class="rp-cards">
<?php
$this->card(
    __('Mode', 'redis-persona'),
    $health['mode'] === 'redis' ? __('Redis', 'redis-persona') : __('Database fallback', 'redis-persona'),
    $health['mode'] === 'redis' ? 'ok' : 'warn',
    (string) $health['reason']
);
$this->card(
    __('Server', 'redis-persona'),
    isset($redis['server_version']) ? 'Redis ' . $redis['server_version'] : '—',
    'plain',
    $health['topology']['mode'] === 'cluster' ? implode(', ', $health['topology']['seeds']) : (string) $health['url']
);
$page_states = ['on' => __('On', 'redis-persona'), 'off' => __('Off', 'redis-persona'), 'blocked' => __('Blocked', 'redis-persona')];
$this->card(
    __('Page cache', 'redis-persona'),
    $page_states[$page['state']] ?? $page['state'],
    $page['state'] === 'on' ? 'ok' : ($page['state'] === 'blocked' ? 'warn' : 'plain'),
    trim($page['why'] . ' ' . $page['fix'])
);
$this->card(__('Latency', 'redis-persona'), isset($redis['latency_ms']) ? sprintf('%.2f ms', $redis['latency_ms']) : '—', 'plain', '');
$this->card(
    __('Memory', 'redis-persona'),
    isset($memory['used']) ? size_format((int) $memory['used'], 1) : '—',
    'plain',
    isset($memory['peak']) ? sprintf(
        /* translators: 1: peak memory, 2: memory limit */
        __('peak %1$s, limit %2$s', 'redis-persona'),
        size_format((int) $memory['peak'], 1),
        !empty($memory['max']) ? size_format((int) $memory['max'], 1) : __('none', 'redis-persona')
    ) : ''
);
?>
</div>
<?php
$this->view('topology', [
    'configured' => $health['topology'],
    'live' => is_array($redis['topology'] ?? null) ? $redis['topology'] : [],
]);
?>

<h2><?php esc_html_e('Hits and misses, last 7 days', 'redis-persona'); ?></h2>
<?php if ($stats === []) : ?>
    <p><?php esc_html_e('Statistics are kept in Redis; none while the fallback is in use.', 'redis-persona'); ?></p>
<?php else : ?>
    <?php echo Chart::hits_and_misses($stats); // phpcs:ignore -- every value is escaped inside. ?>
<?php endif; ?>

<div class="rp-columns"><div><h2><?php esc_html_e('Popular posts', 'redis-persona'); ?></h2>
<?php if ($popular === []) : ?>
    <p><?php esc_html_e('No views recorded yet.', 'redis-persona'); ?></p>
<?php else : ?>
    <ol>
    <?php foreach ($popular as $row) : ?>
        <li><a href="<?php echo esc_url((string) get_permalink((int) $row['post_id'])); ?>"><?php
            echo esc_html(get_the_title((int) $row['post_id']) ?: '#' . (int) $row['post_id']);
        ?></a> — <?php
            /* translators: %s: number of views */
            echo esc_html(sprintf(
                _n('%s view', '%s views', (int) $row['views'], 'redis-persona'),
                number_format_i18n((int) $row['views'])
            ));
        ?></li>
    <?php endforeach; ?>
    </ol>
<?php endif; ?>
</div><div><h2><?php esc_html_e('Recent invalidations', 'redis-persona'); ?></h2>
<?php if ($recent === []) : ?>
    <p><?php esc_html_e('None yet.', 'redis-persona'); ?></p>
<?php else : ?>
    <table class="widefat striped"><thead><tr>
        <th><?php esc_html_e('When', 'redis-persona'); ?></th>
        <th><?php esc_html_e('What', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Posts', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Variants', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Took', 'redis-persona'); ?></th>
    </tr></thead><tbody>
    <?php foreach ($recent as $row) : ?>
        <tr>
            <td><?php echo esc_html(wp_date('Y-m-d H:i:s', (int) $row['at'])); ?></td>
            <td><?php echo esc_html((string) $row['type'] . ' ' . (string) $row['target']); ?></td>
            <td><?php echo (int) $row['posts']; ?></td>
            <td><?php echo (int) $row['variants']; ?></td>
            <td><?php echo esc_html(sprintf('%.2f ms', (float) $row['took_ms'])); ?></td>
        </tr>
    <?php endforeach; ?>
    </tbody></table>
<?php endif; ?>
</div></div>

<h2><?php esc_html_e('Cache', 'redis-persona'); ?></h2>
<p><button type="button" class="button button-primary" id="rp-warm"><?php esc_html_e('Warm all', 'redis-persona'); ?></button>
    <button type="button" class="button" id="rp-warm-pages"<?php disabled($page['state'] !== 'on'); ?>><?php
        esc_html_e('Warm all pages', 'redis-persona');
    ?></button>
    <button type="button" class="button" id="rp-flush"><?php esc_html_e('Flush', 'redis-persona'); ?></button></p>
<p><progress id="rp-warm-progress" max="1" value="0" hidden></progress> <span id="rp-message" role="status"></span></p>
