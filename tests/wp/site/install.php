<?php

/**
 * Installs WordPress on first start and activates the plugin; prints the
 * site's settings as shell variables (site.sh keeps them in site.env).
 * Idempotent: a second run only prints.
 */

declare(strict_types=1);

require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$stateDir = REDIS_PERSONA_SANDBOX_DIR;
$passwordFile = $stateDir . '/admin-password';
if (!is_file($passwordFile)) {
    file_put_contents($passwordFile, bin2hex(random_bytes(9)));
}
$password = trim((string) file_get_contents($passwordFile));

if (!is_blog_installed()) {
    wp_install('Redis Persona', 'admin', 'admin@example.test', false, '', $password);
    update_option('blogdescription', 'Persona content, booking and one-time codes on Redis');
    update_option('default_pingback_flag', 0);
    update_option('default_ping_status', 'closed');
    update_option('default_comment_status', 'closed');
}
if (get_option('permalink_structure') !== '/%postname%/' || !get_option('rewrite_rules')) {
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure('/%postname%/');
    $wp_rewrite->flush_rules(false);
}

// Debian ships themes as separate packages; deps.sh installs twentytwentyone
// (the classic theme the end-to-end suite and the demo run on) and
// twentytwentythree (WordPress 6.1's default, a block theme: only the page
// benchmark switches to it, benches/wp-page-content.php).
if (get_stylesheet() !== 'twentytwentyone' && wp_get_theme('twentytwentyone')->exists()) {
    switch_theme('twentytwentyone');
}

$admin = get_user_by('login', 'admin');
if (!$admin instanceof WP_User) {
    fwrite(STDERR, "install: the admin user is missing\n");
    exit(1);
}
wp_set_password($password, $admin->ID);

// An application password for REST calls made by tests and benchmarks.
$appFile = $stateDir . '/app-password';
$known = is_file($appFile) ? trim((string) file_get_contents($appFile)) : '';
$valid = false;
foreach (WP_Application_Passwords::get_user_application_passwords($admin->ID) as $item) {
    if ($known !== '' && wp_check_password($known, $item['password'], $admin->ID)) {
        $valid = true;
    }
}
if (!$valid) {
    $created = WP_Application_Passwords::create_new_application_password($admin->ID, ['name' => 'redis-persona-tests']);
    if (is_wp_error($created)) {
        fwrite(STDERR, 'install: ' . $created->get_error_message() . "\n");
        exit(1);
    }
    $known = $created[0];
    file_put_contents($appFile, $known);
}

if (!is_plugin_active('redis-persona/redis-persona.php')) {
    $result = activate_plugin('redis-persona/redis-persona.php');
    if (is_wp_error($result)) {
        fwrite(STDERR, 'install: ' . $result->get_error_message() . "\n");
        exit(1);
    }
}

printf("SITE_URL=%s\n", home_url());
printf("ADMIN_USER=admin\nADMIN_PASSWORD=%s\nAPP_PASSWORD='%s'\n", $password, $known);
printf("WP_DIR=%s\n", ABSPATH);
