<?php

/**
 * The page-tier benchmark's site (run inside WordPress by tests/wp/site.sh
 * wp): the block theme Twenty Twenty-Three and one typical post, about
 * 1 200 words of paragraphs, headings, a list, a quote and persona parts,
 * no slow shortcode. Prints its URL. Idempotent.
 */

declare(strict_types=1);

if (wp_get_theme('twentytwentythree')->exists() && get_stylesheet() !== 'twentytwentythree') {
    switch_theme('twentytwentythree');
}

$paragraph = 'Lakeside sits where the old ferry road meets the water. Rooms look over the bay or the '
    . 'orchard, breakfast is served until eleven, and the staff will book boats, bikes and tables in '
    . 'town for you. The spa opens at seven; the sauna by the jetty stays warm until late evening.';
$blocks = [];
for ($section = 1; $section <= 8; $section++) {
    $blocks[] = "<!-- wp:heading -->\n<h2>Section $section: around the lake</h2>\n<!-- /wp:heading -->";
    for ($i = 0; $i < 3; $i++) {
        $blocks[] = "<!-- wp:paragraph -->\n<p>$paragraph</p>\n<!-- /wp:paragraph -->";
    }
    if ($section % 3 === 0) {
        $blocks[] = "<!-- wp:list -->\n<ul><li>Kayaks at the jetty</li><li>Bikes by the gate</li>"
            . "<li>Picnic baskets on request</li></ul>\n<!-- /wp:list -->";
        $blocks[] = "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>The quietest week of our year.</p>"
            . "<cite>A guest</cite></blockquote>\n<!-- /wp:quote -->";
    }
}
$blocks[] = "<!-- wp:shortcode -->\n"
    . "[persona is=\"family\"]<p class=\"persona-family\">Families: the kids' club is open daily.</p>[/persona]"
    . "[persona is=\"solo\"]<p class=\"persona-solo\">Solo travellers: join the Tuesday lake walk.</p>[/persona]"
    . "[persona is=\"business\"]<p class=\"persona-business\">Business guests: meeting rooms with screens.</p>[/persona]"
    . "\n<!-- /wp:shortcode -->";
$content = implode("\n\n", $blocks);

$existing = get_page_by_path('typical-block-post', OBJECT, 'post');
$post = [
    'post_name' => 'typical-block-post',
    'post_type' => 'post',
    'post_title' => 'A typical post on a block theme',
    'post_content' => $content,
    'post_status' => 'publish',
    'comment_status' => 'closed',
];
if ($existing instanceof WP_Post) {
    $post['ID'] = $existing->ID;
}
$id = wp_insert_post(wp_slash($post), true);
if (is_wp_error($id)) {
    fwrite(STDERR, $id->get_error_message() . "\n");
    exit(1);
}
echo get_permalink((int) $id), "\n";
