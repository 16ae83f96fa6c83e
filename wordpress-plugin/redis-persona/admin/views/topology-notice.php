<?php

/**
 * The notice shown while the cluster or Sentinel constants cannot be used.
 *
 * @var list<string> $errors Config::topology()['errors']
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}
?>
<div class="notice notice-error" id="rp-topology-notice"><p>
    <strong><?php esc_html_e('Redis Persona cannot use the Redis topology set in wp-config.php.', 'redis-persona'); ?></strong>
    <?php esc_html_e('The database fallback serves everything meanwhile.', 'redis-persona'); ?>
    <?php foreach ($errors as $error) : ?>
        <br/><?php echo esc_html($error); ?>
    <?php endforeach; ?>
</p></div>
