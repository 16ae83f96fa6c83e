<?php

/**
 * Where every setting comes from: a wp-config.php constant wins, then the
 * settings page (option `redis_persona_settings`), then the common
 * WP_REDIS_* constants, then the built-in default.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Config
{
    public const OPTION = 'redis_persona_settings';

    /** Persona slugs: what the extension accepts as a persona (Policy). */
    public const PERSONA_PATTERN = Policy::PERSONA_PATTERN;
    /**
     * Key prefixes: no ':' (the separator), so no namespace can be a prefix
     * of another's key space (`shop` would otherwise read `shop:eu`'s keys).
     */
    public const PREFIX_PATTERN = '/^[A-Za-z0-9_.-]{1,64}$/D';

    /** Setting => the constant that overrides it. */
    public const CONSTANTS = [
        'url' => 'REDIS_PERSONA_URL',
        'prefix' => 'REDIS_PERSONA_PREFIX',
        'personas' => 'REDIS_PERSONA_PERSONAS',
        'default_persona' => 'REDIS_PERSONA_DEFAULT',
        'cookie' => 'REDIS_PERSONA_COOKIE',
        'ttl' => 'REDIS_PERSONA_TTL',
        'disabled' => 'REDIS_PERSONA_DISABLED',
        'page_cache' => 'REDIS_PERSONA_PAGE_CACHE',
        'page_ttl' => 'REDIS_PERSONA_PAGE_TTL',
    ];

    public const DEFAULT_TTL = Policy::CACHE_TTL;
    public const MIN_TTL = Policy::CACHE_MIN_TTL;
    public const MAX_TTL = Policy::CACHE_MAX_TTL;

    /** @var array<string, mixed>|null */
    private ?array $resolved = null;
    /** @var array<string, mixed>|null */
    private ?array $topology = null;

    /** Forgets resolved values (after the settings page saves, and in tests). */
    public function reset(): void
    {
        $this->resolved = null;
        $this->topology = null;
    }

    public function url(): string
    {
        $url = (string) $this->get('url');
        [$user, $password] = $this->credentials();
        if ($password === '') {
            return $url;
        }
        if (preg_match('#^(rediss?://)(?:([^:@/]*)@)?(.*)$#', $url, $m) === 1 && !str_contains($m[3], '@')) {
            // No password in the URL: the saved one goes in, after the user name if any.
            return $m[1] . ($m[2] !== '' ? $m[2] : rawurlencode($user)) . ':' . rawurlencode($password) . '@' . $m[3];
        }
        if (str_starts_with($url, 'unix://') && !preg_match('#[?&]password=#', $url)) {
            return $url . (str_contains($url, '?') ? '&' : '?') . 'password=' . rawurlencode($password);
        }
        return $url;
    }

    /**
     * One server, a cluster or Sentinel, from the constants (Topology).
     *
     * @return array{mode: string, source: string, seeds: list<string>, sentinels: list<string>,
     *     service: string, read_from_replicas: bool, errors: list<string>}
     */
    public function topology(): array
    {
        return $this->topology ??= Topology::resolve(Topology::defined_constants(), $this->credentials());
    }

    /**
     * The arguments of `new \RedisPersona\Client(...)` for this site.
     *
     * @return array{0: ?string, 1: array<string, mixed>}
     * @throws \InvalidArgumentException when the constants describe no usable topology (the message says why)
     */
    public function client_arguments(): array
    {
        $topology = $this->topology();
        if ($topology['errors'] !== []) {
            throw new \InvalidArgumentException(implode(' ', $topology['errors']));
        }
        return Topology::client_arguments($topology, $this->url(), $this->prefix());
    }

    /** The URL as it may be shown: any password masked. */
    public function display_url(): string
    {
        return self::mask_url((string) $this->get('url'));
    }

    /** Masks a password in a URL's userinfo and in a `password=` query parameter. */
    public static function mask_url(string $url): string
    {
        // The userinfo ends at the last '@' (an unencoded '@' or '/' may be
        // part of a password).
        $url = (string) preg_replace('#^([a-z][a-z0-9+.-]*://)([^:@/]*):.*@([^@]*)$#is', '$1$2:***@$3', $url);
        return (string) preg_replace('#([?&](?:password|pass|auth)=)[^&\#]*#i', '$1***', $url);
    }

    /**
     * Splits a URL into [URL without password, password]: the settings page
     * stores the password apart, write-only, and never prints it back.
     *
     * @return array{0: string, 1: string}
     */
    public static function split_password(string $url): array
    {
        if (preg_match('#^(rediss?://)([^:@/]*):(.*)@([^@]*)$#s', $url, $m) === 1) {
            return [$m[1] . ($m[2] !== '' ? $m[2] . '@' : '') . $m[4], rawurldecode($m[3])];
        }
        if (preg_match('#^(.*[?&])password=([^&\#]*)&?(.*)$#', $url, $m) === 1) {
            return [rtrim($m[1] . $m[3], '?&'), rawurldecode($m[2])];
        }
        return [$url, ''];
    }

    public function password(): string
    {
        return $this->credentials()[1];
    }

    /**
     * The data nodes' user and password: the settings page's password, else
     * WP_REDIS_PASSWORD (a string, or `[user, password]` for an ACL user).
     *
     * @return array{0: string, 1: string}
     */
    public function credentials(): array
    {
        $saved = (string) ($this->saved()['password'] ?? '');
        if ($saved !== '') {
            return ['', $saved];
        }
        if (!defined('WP_REDIS_PASSWORD')) {
            return ['', ''];
        }
        $password = WP_REDIS_PASSWORD;
        if (is_array($password)) {
            $password = array_values($password);
            return count($password) === 2 && is_string($password[0]) && is_string($password[1])
                ? [$password[0], $password[1]]
                : ['', isset($password[0]) && is_string($password[0]) ? $password[0] : ''];
        }
        return ['', is_string($password) ? $password : ''];
    }

    public function has_password(): bool
    {
        return $this->password() !== '';
    }

    public function prefix(): string
    {
        return (string) $this->get('prefix');
    }

    /** @return array<string, string> slug => label, never empty */
    public function personas(): array
    {
        return $this->get('personas');
    }

    public function default_persona(): string
    {
        return (string) $this->get('default_persona');
    }

    public function cookie(): string
    {
        return (string) $this->get('cookie');
    }

    public function ttl(): int
    {
        return (int) $this->get('ttl');
    }

    public function disabled(): bool
    {
        return (bool) $this->get('disabled');
    }

    /** Whether the full-page tier is switched on (it still needs the drop-in, WP_CACHE and the extension). */
    public function page_cache(): bool
    {
        return (bool) $this->get('page_cache');
    }

    /** Seconds a cached page is fresh. */
    public function page_ttl(): int
    {
        return (int) $this->get('page_ttl');
    }

    /** Whether a wp-config.php constant fixes this setting (the page shows it read-only). */
    public function is_constant(string $setting): bool
    {
        return $this->constant_name($setting) !== null;
    }

    /**
     * The wp-config.php constant that fixes a setting, or null. A cluster
     * constant fixes the URL too: a cluster is reached through its seeds.
     */
    public function constant_name(string $setting): ?string
    {
        if ($setting === 'url' && $this->topology()['mode'] === 'cluster') {
            return $this->topology()['source'];
        }
        return isset(self::CONSTANTS[$setting]) && defined(self::CONSTANTS[$setting]) ? self::CONSTANTS[$setting] : null;
    }

    /**
     * @return mixed
     */
    private function get(string $setting)
    {
        if ($this->resolved === null) {
            $this->resolved = $this->resolve();
        }
        return $this->resolved[$setting];
    }

    /** @return array<string, mixed> */
    private function saved(): array
    {
        $saved = get_option(self::OPTION, []);
        return is_array($saved) ? $saved : [];
    }

    /** @return array<string, mixed> */
    private function resolve(): array
    {
        $raw = $this->saved();
        foreach (self::CONSTANTS as $setting => $constant) {
            if (defined($constant)) {
                $raw[$setting] = constant($constant);
            }
        }
        $clean = self::sanitize($raw);
        if (!isset($raw['url']) || $raw['url'] === '') {
            $clean['url'] = self::default_url();
        }
        return $clean;
    }

    /**
     * Turns untrusted settings (the form, the option, constants) into valid
     * ones; anything invalid becomes its default.
     *
     * @param array<string, mixed> $raw
     * @return array<string, mixed>
     */
    public static function sanitize(array $raw): array
    {
        $url = isset($raw['url']) && is_string($raw['url']) ? trim($raw['url']) : '';
        if ($url !== '' && preg_match('#^(rediss?://[^\s]+|unix:///[^\s]+)$#', $url) !== 1) {
            $url = '';
        }
        $prefix = isset($raw['prefix']) && is_string($raw['prefix']) ? trim($raw['prefix']) : '';
        if (preg_match(self::PREFIX_PATTERN, $prefix) !== 1) {
            $prefix = self::default_prefix();
        } elseif (is_multisite() && defined('REDIS_PERSONA_PREFIX') && $prefix === REDIS_PERSONA_PREFIX) {
            // One constant for a whole network: every blog still gets a namespace of its own.
            $prefix = substr($prefix, 0, 54) . '.b' . get_current_blog_id();
        }
        $personas = self::parse_personas($raw['personas'] ?? null);
        if ($personas === []) {
            $personas = ['everyone' => __('Everyone', 'redis-persona')];
        }
        $default = isset($raw['default_persona']) && is_string($raw['default_persona']) ? $raw['default_persona'] : '';
        if (!isset($personas[$default])) {
            $default = (string) array_key_first($personas);
        }
        $cookie = isset($raw['cookie']) && is_string($raw['cookie']) ? trim($raw['cookie']) : '';
        if (preg_match('/^[A-Za-z0-9_-]{1,64}$/D', $cookie) !== 1) {
            $cookie = 'rp_persona';
        }
        $ttl = isset($raw['ttl']) && is_numeric($raw['ttl']) ? (int) $raw['ttl'] : 0;
        if ($ttl <= 0) {
            $ttl = self::DEFAULT_TTL;
        }
        $ttl = max(self::MIN_TTL, min(self::MAX_TTL, $ttl));
        $page_ttl = isset($raw['page_ttl']) && is_numeric($raw['page_ttl']) ? (int) $raw['page_ttl'] : 0;
        $page_ttl = $page_ttl <= 0 ? Policy::PAGE_TTL : max(Policy::PAGE_MIN_TTL, min(self::MAX_TTL, $page_ttl));
        $page_cache = $raw['page_cache'] ?? true;
        return [
            'url' => $url,
            'password' => isset($raw['password']) && is_string($raw['password']) ? $raw['password'] : '',
            'prefix' => $prefix,
            'personas' => $personas,
            'default_persona' => $default,
            'cookie' => $cookie,
            'ttl' => $ttl,
            'disabled' => !empty($raw['disabled']) && $raw['disabled'] !== 'false',
            'page_cache' => !in_array($page_cache, [false, 0, '0', '', 'false', 'off'], true),
            'page_ttl' => $page_ttl,
        ];
    }

    /**
     * Accepts "family, solo", "family:Families, solo:Solo travellers", a list
     * of slugs or a slug => label map; drops invalid slugs.
     *
     * @param mixed $value
     * @return array<string, string>
     */
    public static function parse_personas($value): array
    {
        if (is_string($value)) {
            $value = array_filter(array_map('trim', explode(',', $value)), 'strlen');
            $map = [];
            foreach ($value as $item) {
                [$slug, $label] = array_pad(explode(':', $item, 2), 2, '');
                $map[trim($slug)] = trim($label);
            }
            $value = $map;
        }
        if (!is_array($value)) {
            return [];
        }
        $personas = [];
        foreach ($value as $key => $label) {
            $slug = is_int($key) ? $label : $key;
            if (!is_string($slug) || preg_match(self::PERSONA_PATTERN, $slug) !== 1) {
                continue;
            }
            $label = is_string($label) && $label !== '' && !is_int($key) ? $label : ucfirst(str_replace(['-', '_'], ' ', $slug));
            $personas[$slug] = wp_strip_all_tags($label);
            if (count($personas) >= Policy::MAX_PERSONAS) {
                break;
            }
        }
        return $personas;
    }

    /** redis://WP_REDIS_HOST:WP_REDIS_PORT when those are defined, else the extension's default. */
    public static function default_url(): string
    {
        $host = defined('WP_REDIS_HOST') && is_string(WP_REDIS_HOST) && WP_REDIS_HOST !== '' ? WP_REDIS_HOST : '127.0.0.1';
        $port = defined('WP_REDIS_PORT') && is_numeric(WP_REDIS_PORT) ? (int) WP_REDIS_PORT : 6379;
        if (str_starts_with($host, '/')) {
            return 'unix://' . $host;
        }
        return sprintf('redis://%s:%d', $host, $port);
    }

    /**
     * Per install and per blog, so sites sharing one Redis never share keys:
     * the database, the table prefix and the network's main URL (two copies
     * of one site, say staging and production with the same database name,
     * differ by URL). Changing the main URL starts an empty namespace.
     */
    public static function default_prefix(): string
    {
        global $wpdb;
        $main_url = is_multisite() ? network_site_url() : (string) get_option('siteurl');
        $site = substr(md5(DB_NAME . '|' . $wpdb->base_prefix . '|' . untrailingslashit(strtolower($main_url))), 0, 10);
        return 'rp.' . $site . '.' . get_current_blog_id();
    }
}
