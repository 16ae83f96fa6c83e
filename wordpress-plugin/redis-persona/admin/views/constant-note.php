<?php

/**
 * Under a setting that wp-config.php fixes.
 *
 * @var string $constant
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}
?>
<p class="description"><?php
    /* translators: %s: constant name */
    echo esc_html(sprintf(__('Set by %s in wp-config.php.', 'redis-persona'), $constant));
?></p>
