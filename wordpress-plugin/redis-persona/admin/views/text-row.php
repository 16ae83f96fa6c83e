<?php

/**
 * One text setting of the Settings tab.
 *
 * @var string $setting
 * @var string $label
 * @var string $value
 * @var string $placeholder
 * @var bool $readonly
 */

declare(strict_types=1);

use RedisPersona\WordPress\Config;

if (!defined('ABSPATH')) {
    exit;
}
?>
<tr><th scope="row"><label for="rp-<?php echo esc_attr($setting); ?>"><?php echo esc_html($label); ?></label></th><td>
<input type="text" id="rp-<?php echo esc_attr($setting); ?>" name="<?php echo esc_attr(Config::OPTION . '[' . $setting . ']'); ?>"
    value="<?php echo esc_attr($value); ?>" placeholder="<?php echo esc_attr($placeholder); ?>" class="regular-text"<?php
        echo $readonly ? ' readonly' : '';
    ?>/>
<?php $this->constant_note($setting); ?>
</td></tr>
