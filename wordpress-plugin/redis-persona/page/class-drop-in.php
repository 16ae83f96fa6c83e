<?php

/**
 * Installs and removes `wp-content/advanced-cache.php`, and says whether the
 * page tier is on, off or blocked, and why.
 *
 * The installed file is a small stub that includes this plugin's
 * `page/drop-in.php` by absolute path: a plugin update takes effect without
 * reinstalling, and a missing or broken plugin file makes the stub do
 * nothing (it catches every error), so WordPress always renders. A drop-in
 * that is not ours is never overwritten or removed.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DropIn
{
    public const MARKER = 'Redis Persona page cache drop-in';
    /** The line the plugin adds to a writable wp-config.php, and removes again. */
    public const CONFIG_LINE = "define('WP_CACHE', true); // Added by Redis Persona (page cache)";

    public static function path(): string
    {
        return WP_CONTENT_DIR . '/advanced-cache.php';
    }

    /** 'ours', 'foreign' or 'absent'. */
    public static function presence(): string
    {
        $path = self::path();
        if (!is_file($path)) {
            return 'absent';
        }
        $head = (string) @file_get_contents($path, false, null, 0, 1024);
        return str_contains($head, self::MARKER) ? 'ours' : 'foreign';
    }

    public static function stub(): string
    {
        $target = var_export(dirname(__DIR__) . '/page/drop-in.php', true);
        return "<?php\n/**\n * " . self::MARKER . " (advanced-cache.php).\n"
            . " * Installed by the Redis Persona plugin on activation and removed on\n"
            . " * deactivation. It loads the plugin's page tier, which answers cached\n"
            . " * persona pages before WordPress loads and steps aside on any problem.\n */\n"
            . "defined('ABSPATH') || exit;\n"
            . "try {\n    if (is_file($target)) {\n        include_once $target;\n    }\n"
            . "} catch (\\Throwable \$redis_persona_error) {\n    // Never break the site: WordPress renders as if no drop-in were here.\n"
            . "    unset(\$redis_persona_error);\n}\n";
    }

    /** Installs the stub unless another plugin's drop-in is there: 'installed', 'foreign' or 'unwritable'. */
    public static function install(): string
    {
        $presence = self::presence();
        if ($presence === 'foreign') {
            return 'foreign';
        }
        $stub = self::stub();
        if ($presence === 'ours' && (string) @file_get_contents(self::path()) === $stub) {
            return 'installed';
        }
        $tmp = self::path() . '.' . bin2hex(random_bytes(4)) . '.tmp';
        if (@file_put_contents($tmp, $stub) !== strlen($stub) || !@rename($tmp, self::path())) {
            @unlink($tmp);
            return 'unwritable';
        }
        if (function_exists('opcache_invalidate')) {
            @opcache_invalidate(self::path(), true);
        }
        self::enable_wp_cache();
        return 'installed';
    }

    public static function uninstall(): void
    {
        if (self::presence() === 'ours') {
            @unlink(self::path());
        }
        self::disable_wp_cache();
    }

    public static function wp_cache_on(): bool
    {
        return defined('WP_CACHE') && WP_CACHE;
    }

    private static function config_file(): ?string
    {
        foreach ([ABSPATH . 'wp-config.php', dirname(ABSPATH) . '/wp-config.php'] as $file) {
            if (is_file($file)) {
                return $file;
            }
        }
        return null;
    }

    /** Adds WP_CACHE to a writable wp-config.php that does not define it. */
    private static function enable_wp_cache(): void
    {
        $file = self::config_file();
        if (defined('WP_CACHE') || $file === null || !is_writable($file)) {
            return;
        }
        $config = self::with_wp_cache((string) file_get_contents($file));
        if ($config !== null) {
            @file_put_contents($file, $config, LOCK_EX);
        }
    }

    private static function disable_wp_cache(): void
    {
        $file = self::config_file();
        if ($file === null || !is_writable($file)) {
            return;
        }
        $config = (string) file_get_contents($file);
        $without = self::without_wp_cache($config);
        if ($without !== $config) {
            @file_put_contents($file, $without, LOCK_EX);
        }
    }

    /**
     * wp-config.php's text with our WP_CACHE line right after the opening
     * tag, or null when it must not be touched (it mentions WP_CACHE
     * already, or does not start with `<?php`).
     */
    public static function with_wp_cache(string $config): ?string
    {
        if (str_contains($config, 'WP_CACHE') || preg_match('/^<\?php\s/', $config) !== 1) {
            return null;
        }
        return "<?php\n" . self::CONFIG_LINE . "\n" . ltrim(substr($config, 5), "\r\n");
    }

    /** wp-config.php's text without the line with_wp_cache() added (and nothing else). */
    public static function without_wp_cache(string $config): string
    {
        return str_replace(self::CONFIG_LINE . "\n", '', $config);
    }

    /**
     * The page tier's state for the admin: `state` on|off|blocked, `code`
     * (what blocks it: outage, extension, multisite, foreign, missing,
     * wp-cache, settings; '' otherwise), `why` (a sentence), and `fix` (what
     * the admin must do, '' when nothing).
     *
     * @return array{state: string, code: string, why: string, fix: string}
     */
    public static function status(Config $config, ?string $outage_reason = null): array
    {
        $blocked = static fn (string $code, string $why, string $fix = ''): array
            => ['state' => 'blocked', 'code' => $code, 'why' => $why, 'fix' => $fix];
        if (!$config->page_cache()) {
            $why = __('The page cache is switched off in the settings.', 'redis-persona');
            return ['state' => 'off', 'code' => '', 'why' => $why, 'fix' => ''];
        }
        if (is_multisite()) {
            return $blocked('multisite', __('The page cache does not support multisite networks yet.', 'redis-persona'));
        }
        if (!class_exists(\RedisPersona\PageCache::class)) {
            return $blocked(
                'extension',
                __('The redis_persona extension is not loaded (or is too old for the page cache).', 'redis-persona')
            );
        }
        $presence = self::presence();
        if ($presence === 'foreign') {
            return $blocked(
                'foreign',
                __('Another plugin\'s advanced-cache.php is installed; it is left alone.', 'redis-persona'),
                __('Deactivate the other page cache plugin, then deactivate and activate Redis Persona.', 'redis-persona')
            );
        }
        if ($presence === 'absent') {
            return $blocked(
                'missing',
                __('wp-content/advanced-cache.php is missing and could not be installed.', 'redis-persona'),
                sprintf(__('Make %s writable by the web server, then save the settings.', 'redis-persona'), WP_CONTENT_DIR)
            );
        }
        if (!self::wp_cache_on()) {
            return $blocked(
                'wp-cache',
                __('WP_CACHE is not enabled, so WordPress does not load the drop-in.', 'redis-persona'),
                sprintf(
                    /* translators: 1: the PHP line, 2: the marker line of wp-config.php */
                    __('Add %1$s to wp-config.php, above the line %2$s.', 'redis-persona'),
                    "define('WP_CACHE', true);",
                    "/* That's all, stop editing! */"
                )
            );
        }
        if (!is_file(PageSettings::file())) {
            return $blocked(
                'settings',
                __('The page cache\'s settings file could not be written.', 'redis-persona'),
                sprintf(__('Make %s writable by the web server, then save the settings.', 'redis-persona'), PageSettings::dir())
            );
        }
        if (PageSettings::outage_raised()) {
            return $blocked(
                'outage',
                __('Redis had an outage; cached pages are not served until its changes are replayed.', 'redis-persona')
            );
        }
        if ($outage_reason !== null && $outage_reason !== '') {
            return $blocked('outage', $outage_reason);
        }
        $why = __('Cached persona pages are served before WordPress loads.', 'redis-persona');
        return ['state' => 'on', 'code' => '', 'why' => $why, 'fix' => ''];
    }
}
