<?php

// Prints an administrator's login cookies (name=value per line) for the browser test.
$user = get_user_by('login', 'admin');
$expiration = time() + 3600;
echo LOGGED_IN_COOKIE, '=', wp_generate_auth_cookie($user->ID, $expiration, 'logged_in'), "\n";
echo AUTH_COOKIE, '=', wp_generate_auth_cookie($user->ID, $expiration, 'auth'), "\n";
