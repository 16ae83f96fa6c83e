<?php

/**
 * Runs a PHP file inside a WordPress installation from the command line
 * (the project's stand-in for `wp eval-file`: WP-CLI is not in Debian 12).
 *
 * Usage: php wp-run.php WORDPRESS_DIR FILE [ARGS...]
 * The file sees $args (the remaining arguments) and WordPress fully loaded.
 */

declare(strict_types=1);

if ($argc < 3) {
    fwrite(STDERR, "usage: php wp-run.php WORDPRESS_DIR FILE [ARGS...]\n");
    exit(2);
}
$wordpressDir = rtrim($argv[1], '/');
$file = $argv[2];
$args = array_slice($argv, 3);

// wp-load.php reads the host to build URLs; WP_HOME in wp-config wins anyway.
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
if (basename($file) === 'install.php') {
    define('WP_INSTALLING', true);
}
require $wordpressDir . '/wp-load.php';
require $file;
