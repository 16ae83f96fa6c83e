<?php

/**
 * What a page shows, recorded while WordPress renders it, so that the page
 * tier knows which invalidations must drop it (its surrogate keys):
 *
 * - every post the page shows (`the_post` in any loop: the main query,
 *   query blocks, widgets);
 * - tags for what lists posts: `home` (front page and blog index), `tax-<term id>`,
 *   `author-<id>`, `date-<Y>[-<m>[-<d>]]`, `archive-<post type>`, `feed`,
 *   paginated pages included, and `list-<post type>` for any secondary
 *   query of that type (a "latest posts" block or widget), which a publish,
 *   unpublish or trash of that type drops;
 * - whether it embeds a nonce (its TTL then stays below the nonce's life).
 *
 * It also holds the plugin's verdict on the render: the page tier stores
 * nothing the plugin did not see and vouch for (an anonymous visitor of the
 * persona the drop-in keyed on, an ordinary front-end view).
 *
 * Loaded by the drop-in before WordPress and filled by the plugin during
 * the render; plain static state, one request per process.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageTags
{
    /** Bounds: a page listing more than this is tagged by its lists instead. */
    public const MAX_POSTS = 500;
    public const MAX_TAGS = 100;

    /** @var array<int, true> */
    private static array $posts = [];
    /** @var array<string, true> */
    private static array $tags = [];
    private static bool $nonce = false;
    private static bool $seen = false;
    private static string $refused = '';
    private static string $persona = '';

    /** The plugin saw the render start, as $persona. */
    public static function begin(string $persona): void
    {
        self::$seen = true;
        self::$persona = $persona;
    }

    /** The plugin found this render private or unusual: never store it. */
    public static function refuse(string $why): void
    {
        if (self::$refused === '') {
            self::$refused = $why;
        }
    }

    public static function post(int $post_id): void
    {
        if ($post_id <= 0 || isset(self::$posts[$post_id])) {
            return;
        }
        if (count(self::$posts) >= self::MAX_POSTS) {
            // Its later posts would not be recorded, so an edit of one would not drop it.
            self::refuse('too-many-posts');
            return;
        }
        self::$posts[$post_id] = true;
    }

    public static function tag(string $tag): void
    {
        if (preg_match('/^[A-Za-z0-9_.-]{1,128}$/D', $tag) !== 1 || isset(self::$tags[$tag])) {
            return;
        }
        if (count(self::$tags) >= self::MAX_TAGS) {
            self::refuse('too-many-tags');
            return;
        }
        self::$tags[$tag] = true;
    }

    public static function nonce(): void
    {
        self::$nonce = true;
    }

    /** @return list<int> */
    public static function posts(): array
    {
        return array_keys(self::$posts);
    }

    /** @return list<string> */
    public static function tags(): array
    {
        return array_map('strval', array_keys(self::$tags));
    }

    public static function has_nonce(): bool
    {
        return self::$nonce;
    }

    /** What a CDN may purge by: `post-<id>` for each post, then the tags. @return list<string> */
    public static function surrogate_keys(): array
    {
        $keys = [];
        foreach (self::posts() as $id) {
            $keys[] = 'post-' . $id;
        }
        return array_merge($keys, self::tags());
    }

    /** '' when the render may be stored for $persona, else why not. */
    public static function verdict(string $persona): string
    {
        if (!self::$seen) {
            return 'not-vouched';
        }
        if (self::$refused !== '') {
            return self::$refused;
        }
        if (self::$persona !== $persona) {
            return 'persona';
        }
        return '';
    }
}
