<?php

/**
 * Configures the plugin and creates the sample content, idempotently (posts
 * are found by slug and updated in place). Used by `make demo`, the
 * end-to-end tests and the benchmarks.
 */

declare(strict_types=1);

use RedisPersona\WordPress\Config;

// Bulk-safe inserts: no pings, no enclosure checks, no per-post cron spawns.
if (!defined('WP_IMPORTING')) {
    define('WP_IMPORTING', true);
}
remove_action('publish_post', '_publish_post_hook', 5);

$settings = get_option(Config::OPTION, []);
$settings = is_array($settings) ? $settings : [];
$settings['personas'] = ['family' => 'Families', 'solo' => 'Solo travellers', 'business' => 'Business guests'];
$settings['default_persona'] = 'solo';
// The page tier: RP_PAGE_CACHE=on|off (the demo runs it on; the end-to-end
// suite switches it on for the tests that are about it).
$page_cache = getenv('RP_PAGE_CACHE');
if (is_string($page_cache) && $page_cache !== '') {
    $settings['page_cache'] = $page_cache === 'on';
}
update_option(Config::OPTION, $settings);
RedisPersona\WordPress\Plugin::instance()->config()->reset();
RedisPersona\WordPress\Plugin::instance()->page()->install();
// install.php set the permalinks before the taxonomies existed: their
// archives (category, tag, author, date) need the rules rebuilt now.
flush_rewrite_rules(false);

$admin = get_user_by('login', 'admin');
wp_set_current_user($admin instanceof WP_User ? $admin->ID : 1);

$category = term_exists('Offers', 'category');
if (!$category) {
    $category = wp_insert_term('Offers', 'category');
}
$category_id = (int) (is_array($category) ? $category['term_id'] : $category);

/** @return int the post id */
function redis_persona_sample(string $slug, string $type, string $title, string $content, array $categories = []): int
{
    $existing = get_page_by_path($slug, OBJECT, $type);
    $post = [
        'post_name' => $slug,
        'post_type' => $type,
        'post_title' => $title,
        'post_content' => $content,
        'post_status' => 'publish',
        'comment_status' => 'closed',
        'ping_status' => 'closed',
    ];
    if ($existing instanceof WP_Post) {
        $post['ID'] = $existing->ID;
        if ($existing->post_content === $content && $existing->post_title === $title) {
            return $existing->ID;
        }
    }
    if ($categories !== []) {
        $post['post_category'] = $categories;
    }
    $id = wp_insert_post(wp_slash($post), true);
    if (is_wp_error($id)) {
        fwrite(STDERR, $slug . ': ' . $id->get_error_message() . "\n");
        exit(1);
    }
    return (int) $id;
}

$welcome = redis_persona_sample('lakeside-welcome', 'post', 'Welcome to Lakeside', <<<'HTML'
[persona_switcher]

<p>Lakeside is a small hotel by the water.</p>

[persona is="family"]<p class="persona-family">Families: the kids' club is open daily, and under-6s stay free.</p>[/persona]
[persona is="solo"]<p class="persona-solo">Solo travellers: join the Tuesday lake walk and the shared supper table.</p>[/persona]
[persona is="business"]<p class="persona-business">Business guests: meeting rooms with screens, and breakfast from 6:30.</p>[/persona]
[persona not="business"]<p class="persona-not-business">Unwind in the lakeside spa.</p>[/persona]
HTML, [$category_id]);

$slow = redis_persona_sample('rp-slow', 'post', 'A slow page', <<<'HTML'
<p>This page has a deliberately slow shortcode: it costs 50 ms on a miss and nothing on a hit.</p>
[rp_slow ms="50"]
[persona is="family"]<p class="persona-family">Family rates this week.</p>[/persona]
[persona is="solo"]<p class="persona-solo">Single rooms without a supplement.</p>[/persona]
[persona is="business"]<p class="persona-business">Invoices in your company's name.</p>[/persona]
HTML, [$category_id]);

$book = redis_persona_sample('book', 'page', 'Book a room', <<<'HTML'
<p>Pick a day and a time. We hold the slot for ten minutes while you confirm your email with a one-time code.</p>
[redis_persona_booking resource="room-1"]
HTML);

update_option('show_on_front', 'posts');
printf("WELCOME_ID=%d\nSLOW_ID=%d\nBOOK_ID=%d\nOFFERS_TERM_ID=%d\n", $welcome, $slow, $book, $category_id);
printf("WELCOME_URL=%s\nSLOW_URL=%s\nBOOK_URL=%s\n", get_permalink($welcome), get_permalink($slow), get_permalink($book));
