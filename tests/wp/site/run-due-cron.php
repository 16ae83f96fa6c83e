<?php

/**
 * Runs the WP-Cron events that are due, once, inside WordPress, and returns
 * how many ran (not by including wp-cron.php: it ends with die(), and over
 * HTTP it answers before it runs the events). The test sites have WP-Cron
 * disabled; Site::run_cron() and the browser test drive it through this.
 */

declare(strict_types=1);

if (!defined('DOING_CRON')) {
    define('DOING_CRON', true);
}
$redis_persona_ran = 0;
foreach (wp_get_ready_cron_jobs() as $timestamp => $hooks) {
    foreach ($hooks as $hook => $events) {
        foreach ($events as $event) {
            if ($event['schedule'] !== false) {
                wp_reschedule_event($timestamp, $event['schedule'], $hook, $event['args']);
            }
            wp_unschedule_event($timestamp, $hook, $event['args']);
            do_action_ref_array($hook, $event['args']);
            $redis_persona_ran++;
        }
    }
}
return $redis_persona_ran;
