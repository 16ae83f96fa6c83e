<?php

/**
 * The page tier's settings file and outage flag, which the drop-in reads
 * before WordPress (and its database) exists.
 *
 * - `wp-content/cache/redis-persona/settings.php` returns an array: the
 *   Redis URL (none on a cluster), the Client's topology options (cluster
 *   seeds, or sentinels and service) and prefix, personas, cookie, hosts, TTLs, bypass cookies,
 *   exclusions, ignored parameters. The plugin writes it (atomically, then
 *   invalidates it in opcache) on activation, when settings are saved, and
 *   whenever a front-end render finds it out of date.
 * - It carries a fingerprint of the wp-config.php constants it was written
 *   under. The drop-in recomputes it (a few `defined()` calls) and steps
 *   aside when they differ: an edited wp-config.php (a new prefix, say)
 *   never makes it serve pages from a namespace the plugin no longer
 *   invalidates.
 * - `outage` next to it exists while the plugin has recorded invalidations
 *   during a Redis outage that are not replayed yet; the drop-in serves
 *   nothing from Redis while it is there.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageSettings
{
    public const FORMAT = 2;

    /** Constants whose values the settings file depends on. */
    public const CONSTANTS = [
        'REDIS_PERSONA_URL', 'REDIS_PERSONA_PREFIX', 'REDIS_PERSONA_PERSONAS', 'REDIS_PERSONA_DEFAULT',
        'REDIS_PERSONA_COOKIE', 'REDIS_PERSONA_DISABLED', 'REDIS_PERSONA_PAGE_CACHE', 'REDIS_PERSONA_PAGE_TTL',
        'REDIS_PERSONA_PAGE_EXCLUDE', 'REDIS_PERSONA_PAGE_BYPASS_COOKIES', 'REDIS_PERSONA_CLUSTER',
        'REDIS_PERSONA_SENTINEL', 'REDIS_PERSONA_SERVICE', 'REDIS_PERSONA_READ_FROM_REPLICAS', 'WP_REDIS_HOST',
        'WP_REDIS_PORT', 'WP_REDIS_PASSWORD', 'WP_REDIS_CLUSTER', 'WP_REDIS_SENTINEL', 'WP_REDIS_SERVERS',
    ];

    public static function dir(): string
    {
        return (defined('WP_CONTENT_DIR') ? WP_CONTENT_DIR : ABSPATH . 'wp-content') . '/cache/redis-persona';
    }

    public static function file(): string
    {
        return self::dir() . '/settings.php';
    }

    public static function outage_flag(): string
    {
        return self::dir() . '/outage';
    }

    /** A digest of the constants as defined now. */
    public static function fingerprint(): string
    {
        $values = [];
        foreach (self::CONSTANTS as $name) {
            if (defined($name)) {
                $values[$name] = constant($name);
            }
        }
        return md5(serialize($values));
    }

    /**
     * The settings as the drop-in may use them, or null with $why set: no
     * file, an unreadable or foreign one, or constants that changed since.
     *
     * @return array<string, mixed>|null
     */
    public static function load(?string &$why = null): ?array
    {
        $file = self::file();
        if (!is_file($file)) {
            $why = 'no-settings';
            return null;
        }
        if (!is_readable($file)) {
            $why = 'bad-settings';
            return null;
        }
        try {
            $settings = @include $file;
        } catch (\Throwable $e) {
            $settings = null;
        }
        if (!is_array($settings) || ($settings['format'] ?? 0) !== self::FORMAT) {
            $why = 'bad-settings';
            return null;
        }
        if (($settings['fingerprint'] ?? '') !== self::fingerprint()) {
            $why = 'stale-settings';
            return null;
        }
        if (empty($settings['enabled'])) {
            $why = 'off';
            return null;
        }
        return $settings;
    }

    /**
     * Writes the file atomically (a reader sees the old or the new one,
     * never half) and drops opcache's copy, which otherwise may survive a
     * rewrite within the same second.
     *
     * @param array<string, mixed> $settings
     */
    public static function write(array $settings): bool
    {
        $settings['format'] = self::FORMAT;
        $settings['fingerprint'] = self::fingerprint();
        $dir = self::dir();
        if (!is_dir($dir) && !@mkdir($dir, 0775, true) && !is_dir($dir)) {
            return false;
        }
        $body = "<?php\n// Written by the Redis Persona plugin for its advanced-cache.php drop-in; do not edit:\n"
            . "// Settings -> Redis Persona rewrites it.\n"
            . "defined('ABSPATH') || exit;\nreturn " . var_export($settings, true) . ";\n";
        $tmp = $dir . '/.settings.' . bin2hex(random_bytes(4)) . '.tmp';
        if (@file_put_contents($tmp, $body) !== strlen($body)) {
            @unlink($tmp);
            return false;
        }
        @chmod($tmp, 0640);
        // opcache revalidates by mtime (seconds): a rewrite within the same
        // second as the file it replaces must still look changed.
        $previous = @filemtime(self::file());
        if ($previous !== false && $previous >= time()) {
            @touch($tmp, $previous + 1);
        }
        if (!@rename($tmp, self::file())) {
            @unlink($tmp);
            return false;
        }
        if (function_exists('opcache_invalidate')) {
            @opcache_invalidate(self::file(), true);
        }
        return true;
    }

    /** The file as written (for comparing), or null. @return array<string, mixed>|null */
    public static function written(): ?array
    {
        if (!is_file(self::file()) || !is_readable(self::file())) {
            return null;
        }
        try {
            $settings = @include self::file();
        } catch (\Throwable $e) {
            return null;
        }
        return is_array($settings) ? $settings : null;
    }

    public static function remove(): void
    {
        @unlink(self::file());
        @unlink(self::outage_flag());
        if (function_exists('opcache_invalidate')) {
            @opcache_invalidate(self::file(), true);
        }
    }

    public static function outage_raised(): bool
    {
        return file_exists(self::outage_flag());
    }

    /** Raises the outage flag; false when it cannot be written (the drop-in then has no settings either). */
    public static function raise_outage(): bool
    {
        if (file_exists(self::outage_flag())) {
            return true;
        }
        if (!is_dir(self::dir())) {
            return false;
        }
        return @file_put_contents(self::outage_flag(), (string) time()) !== false;
    }

    public static function clear_outage(): void
    {
        if (file_exists(self::outage_flag())) {
            @unlink(self::outage_flag());
        }
    }
}
