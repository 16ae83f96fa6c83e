<?php

/**
 * The notice shown while the page tier is switched on but cannot serve.
 *
 * @var array{state: string, why: string, fix: string} $status DropIn::status()
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}
?>
<div class="notice notice-warning" id="rp-page-notice"><p>
    <strong><?php esc_html_e('Redis Persona page cache is blocked.', 'redis-persona'); ?></strong>
    <?php echo esc_html($status['why']); ?>
    <?php if ($status['fix'] !== '') : ?>
        <br/><?php echo esc_html($status['fix']); ?>
    <?php endif; ?>
</p></div>
