<?php

/**
 * Settings → Redis Persona: the tabs, then the chosen tab.
 *
 * @var array<string, array{label: string, url: string}> $tabs
 * @var string $tab 'status' or 'settings'
 */

declare(strict_types=1);

if (!defined('ABSPATH')) {
    exit;
}
?>
<div class="wrap rp-admin"><h1><?php esc_html_e('Redis Persona', 'redis-persona'); ?></h1>
<nav class="nav-tab-wrapper">
<?php foreach ($tabs as $id => $item) : ?>
    <a href="<?php echo esc_url($item['url']); ?>" class="nav-tab<?php echo $tab === $id ? ' nav-tab-active' : ''; ?>"><?php
        echo esc_html($item['label']);
    ?></a>
<?php endforeach; ?>
</nav>
<?php $tab === 'settings' ? $this->render_settings() : $this->render_status(); ?>
</div>
