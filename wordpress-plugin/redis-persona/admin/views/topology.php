<?php

/**
 * The Status tab's topology section: what the constants configure (one
 * server, a cluster or Sentinel, and any error that keeps it unused) and,
 * from the extension's health()['topology'], every node with its role, hash
 * slots, breaker and connections, the node that answered last, and the
 * failovers and refreshes this PHP process has seen.
 *
 * @var array<string, mixed> $configured Health::report()['topology']
 * @var array<string, mixed> $live the extension's health()['topology'], or []
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}

$modes = [
    'single' => __('One server', 'redis-persona'),
    'cluster' => __('Redis Cluster', 'redis-persona'),
    'sentinel' => __('Sentinel', 'redis-persona'),
];
$mode = (string) ($live['mode'] ?? $configured['mode']);
$nodes = is_array($live['nodes'] ?? null) ? $live['nodes'] : [];
?>
<div class="rp-topology" id="rp-topology">
<h2><?php esc_html_e('Topology', 'redis-persona'); ?></h2>
<?php if ($configured['errors'] !== []) : ?>
    <div class="notice notice-error inline"><p>
        <strong><?php
            esc_html_e('The Redis topology in wp-config.php cannot be used; the database fallback serves everything.', 'redis-persona');
        ?></strong>
        <?php foreach ($configured['errors'] as $error) : ?>
            <br/><?php echo esc_html((string) $error); ?>
        <?php endforeach; ?>
    </p></div>
<?php endif; ?>
<p><strong id="rp-topology-mode"><?php echo esc_html($modes[$mode] ?? $mode); ?></strong><?php
if ($configured['source'] !== '') {
    /* translators: %s: constant name */
    echo ' — ' . esc_html(sprintf(__('set by %s', 'redis-persona'), (string) $configured['source']));
}
if ((string) ($live['service'] ?? $configured['service']) !== '') {
    /* translators: %s: Sentinel service (master) name */
    echo ' — ' . esc_html(sprintf(__('service %s', 'redis-persona'), (string) ($live['service'] ?? $configured['service'])));
}
if (!empty($live['read_from_replicas'] ?? $configured['read_from_replicas'])) {
    echo ' — ' . esc_html__('cache reads from replicas', 'redis-persona');
}
?></p>
<?php
if ($live !== []) {
    $summary = sprintf(
        /* translators: 1: number of failovers, 2: number of topology refreshes */
        __('Failovers seen: %1$d. Topology refreshes: %2$d (this PHP process).', 'redis-persona'),
        (int) ($live['failovers'] ?? 0),
        (int) ($live['refreshes'] ?? 0)
    );
    if (is_string($live['answered_by'] ?? null)) {
        /* translators: %s: node address */
        $summary = sprintf(__('Last answer from %s.', 'redis-persona'), $live['answered_by']) . ' ' . $summary;
    }
} else {
    $summary = implode(', ', array_merge($configured['seeds'], $configured['sentinels']));
}
?>
<p id="rp-topology-summary"><?php echo esc_html($summary); ?></p>
<?php if ($nodes !== []) : ?>
    <table class="widefat striped rp-nodes"><thead><tr>
        <th><?php esc_html_e('Node', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Role', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Slots', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Breaker', 'redis-persona'); ?></th>
        <th><?php esc_html_e('Connections', 'redis-persona'); ?></th>
    </tr></thead><tbody>
    <?php foreach ($nodes as $node) : ?>
        <?php $node = is_array($node) ? $node : []; ?>
        <tr class="rp-node rp-node-<?php echo esc_attr((string) ($node['role'] ?? '')); ?>">
            <td><?php echo esc_html((string) ($node['address'] ?? '')); ?><?php
            if (($node['address'] ?? null) === ($live['answered_by'] ?? false)) {
                echo ' <em>' . esc_html__('(answered last)', 'redis-persona') . '</em>';
            }
            ?></td>
            <td><?php echo esc_html((string) ($node['role'] ?? '')); ?></td>
            <td><?php echo esc_html((string) ($node['slots'] ?? '') !== '' ? (string) $node['slots'] : '—'); ?></td>
            <td class="<?php echo ($node['breaker'] ?? 'closed') === 'closed' ? '' : 'rp-breaker-open'; ?>"><?php
                echo esc_html((string) ($node['breaker'] ?? ''));
            ?></td>
            <td><?php echo (int) ($node['connections'] ?? 0); ?></td>
        </tr>
    <?php endforeach; ?>
    </tbody></table>
<?php endif; ?>
</div>
