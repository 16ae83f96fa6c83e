<?php

// Runs due WP-Cron events once inside WordPress (tests/wp/site.sh wp DIR
// this-file), as Site::run_cron() does for the PHP tests: the test site has
// WP-Cron disabled, so the browser test drives "Warm all" through this.
$ran = (int) require dirname(__DIR__) . '/wp/site/run-due-cron.php';
// While a preload job runs, its next batch runs now, scheduled or not: the
// test does not wait the minute WP-Cron would after a page that defined
// DONOTCACHEPAGE, and an admin page view racing this process on the `cron`
// option can drop the follow-up event (reported; see the issue-13 notes).
$progress = RedisPersona\WordPress\Plugin::instance()->preload()->progress();
if ($ran === 0 && $progress['running']) {
    $next = wp_next_scheduled('redis_persona_preload');
    if ($next !== false) {
        wp_unschedule_event($next, 'redis_persona_preload');
    }
    do_action('redis_persona_preload');
    $ran++;
}
echo $ran;
