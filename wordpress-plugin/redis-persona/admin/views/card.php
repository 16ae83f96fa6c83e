<?php

/**
 * One status card.
 *
 * @var string $title
 * @var string $value
 * @var string $tone 'ok', 'warn' or 'plain'
 * @var string $detail
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}
?>
<div class="rp-card rp-<?php echo esc_attr($tone); ?>"><h3><?php echo esc_html($title); ?></h3>
    <p class="rp-value"><?php echo esc_html($value); ?></p>
    <p class="description"><?php echo esc_html($detail); ?></p></div>
