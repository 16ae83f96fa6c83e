<?php

/**
 * The Settings tab (Settings API form). Settings fixed by a constant are
 * read-only; the password is write-only (never printed back).
 *
 * @var RedisPersona\WordPress\Config $config
 * @var string $option the option's name (form field prefix)
 * @var string $url the stored URL, password masked
 * @var string $prefix
 * @var string $persona_lines one "slug: Label" per line
 */

declare(strict_types=1);

use RedisPersona\WordPress\Config;

if (!defined('ABSPATH')) {
    exit;
}
?>
<form method="post" action="options.php">
<?php settings_fields('redis_persona'); ?>
<table class="form-table" role="presentation">
<?php $this->text_row('url', __('Redis URL', 'redis-persona'), $url, Config::default_url()); ?>
<tr><th scope="row"><label for="rp-password"><?php esc_html_e('Password', 'redis-persona'); ?></label></th><td>
    <input type="password" id="rp-password" name="<?php echo esc_attr($option); ?>[password]" value="" autocomplete="new-password"
        class="regular-text" placeholder="<?php
            echo esc_attr($config->has_password() ? __('(set; leave empty to keep)', 'redis-persona') : '');
        ?>"/>
    <label><input type="checkbox" name="<?php echo esc_attr($option); ?>[clear_password]" value="1"/> <?php
        esc_html_e('Clear', 'redis-persona');
    ?></label>
    <p class="description"><?php esc_html_e('Never shown again once saved. WP_REDIS_PASSWORD is used when empty.', 'redis-persona'); ?></p>
</td></tr>
<?php
$this->text_row('prefix', __('Key prefix', 'redis-persona'), $prefix, Config::default_prefix());
$this->text_row('ttl', __('Cache lifetime (seconds)', 'redis-persona'), (string) $config->ttl(), (string) Config::DEFAULT_TTL);
?>
<tr><th scope="row"><label for="rp-personas"><?php esc_html_e('Personas', 'redis-persona'); ?></label></th><td>
    <textarea id="rp-personas" name="<?php echo esc_attr($option); ?>[personas]" rows="5" class="large-text code"<?php
        echo $config->is_constant('personas') ? ' readonly' : '';
    ?>><?php echo esc_textarea($persona_lines); ?></textarea>
    <p class="description"><?php
        esc_html_e('One per line, "slug: Label". Use [persona is="slug"]…[/persona] in content.', 'redis-persona');
    ?></p>
    <?php $this->constant_note('personas'); ?>
</td></tr>
<tr><th scope="row"><label for="rp-default"><?php esc_html_e('Default persona', 'redis-persona'); ?></label></th><td>
    <select id="rp-default" name="<?php echo esc_attr($option); ?>[default_persona]"<?php
        echo $config->is_constant('default_persona') ? ' disabled' : '';
    ?>>
    <?php foreach ($config->personas() as $slug => $label) : ?>
        <option value="<?php echo esc_attr($slug); ?>"<?php selected($slug, $config->default_persona()); ?>><?php
            echo esc_html($label);
        ?></option>
    <?php endforeach; ?>
    </select>
    <?php $this->constant_note('default_persona'); ?>
</td></tr>
<?php $this->text_row('cookie', __('Cookie name', 'redis-persona'), $config->cookie(), 'rp_persona'); ?>
<tr><th scope="row"><?php esc_html_e('Page cache', 'redis-persona'); ?></th><td>
    <label><input type="checkbox" name="<?php echo esc_attr($option); ?>[page_cache]" value="1"<?php
        checked($config->page_cache());
        echo $config->is_constant('page_cache') ? ' disabled' : '';
    ?>/> <?php esc_html_e('Serve whole persona pages from Redis before WordPress loads.', 'redis-persona'); ?></label>
    <p class="description"><?php esc_html_e('Anonymous visitors only; logged-in users always get WordPress.', 'redis-persona'); ?></p>
    <?php $this->constant_note('page_cache'); ?>
</td></tr>
<?php $this->text_row('page_ttl', __('Page lifetime (seconds)', 'redis-persona'), (string) $config->page_ttl(), '3600'); ?>
<tr><th scope="row"><?php esc_html_e('Disable', 'redis-persona'); ?></th><td>
    <label><input type="checkbox" name="<?php echo esc_attr($option); ?>[disabled]" value="1"<?php
        checked($config->disabled());
        echo $config->is_constant('disabled') ? ' disabled' : '';
    ?>/> <?php esc_html_e('Do not use Redis (the database fallback serves everything).', 'redis-persona'); ?></label>
    <?php $this->constant_note('disabled'); ?>
</td></tr>
</table>
<?php submit_button(); ?>
</form>
