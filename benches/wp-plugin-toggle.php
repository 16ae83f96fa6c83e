<?php

/**
 * Activates or deactivates the plugin for the "no plugin" benchmark row
 * (run inside WordPress by tests/wp/site.sh wp FILE activate|deactivate).
 */

declare(strict_types=1);

require_once ABSPATH . 'wp-admin/includes/plugin.php';

$file = 'redis-persona/redis-persona.php';
if (($args[0] ?? '') === 'activate') {
    $result = activate_plugin($file);
    if (is_wp_error($result)) {
        fwrite(STDERR, $result->get_error_message() . "\n");
        exit(1);
    }
} else {
    deactivate_plugins($file);
}
