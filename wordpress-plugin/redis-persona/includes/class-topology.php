<?php

/**
 * Which Redis the plugin talks to: one server, a Redis Cluster, or a master
 * found through Sentinel, decided from wp-config.php constants.
 *
 * - The plugin's own constants win: `REDIS_PERSONA_CLUSTER` (seed URLs),
 *   `REDIS_PERSONA_SENTINEL` (sentinel URLs) with `REDIS_PERSONA_SERVICE`
 *   (the master's name), `REDIS_PERSONA_READ_FROM_REPLICAS`. A defined
 *   `REDIS_PERSONA_URL` alone means one server, whatever else is defined.
 * - Otherwise Redis Object Cache's constants are read as it defines them, so
 *   a site that already runs it needs nothing new: `WP_REDIS_CLUSTER` (a
 *   list of `tcp://host:port`), `WP_REDIS_SENTINEL` (the service name) with
 *   `WP_REDIS_SERVERS` (the sentinels). `tcp://` becomes `redis://` and
 *   `tls://` becomes `rediss://`; its `?alias=` parameter is ignored.
 * - The data nodes' password (the settings page's, else `WP_REDIS_PASSWORD`,
 *   a string or `[user, password]`) goes into every seed that has none, and
 *   into the URL that Sentinel mode uses as the data nodes' template. A
 *   sentinel URL carries the sentinels' own credentials only.
 *
 * Everything here is pure (constants in, arguments out) so it is tested
 * with any values. A malformed value is an error to show the admin, never a
 * fatal: Backend then uses the database fallback and says why, and the page
 * tier stays off, rather than guessing and writing to the wrong Redis.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Topology
{
    /** The constants read here (PageSettings fingerprints them all). */
    public const CONSTANTS = [
        'REDIS_PERSONA_URL', 'REDIS_PERSONA_CLUSTER', 'REDIS_PERSONA_SENTINEL', 'REDIS_PERSONA_SERVICE',
        'REDIS_PERSONA_READ_FROM_REPLICAS', 'WP_REDIS_CLUSTER', 'WP_REDIS_SENTINEL', 'WP_REDIS_SERVERS',
    ];

    /** Redis Object Cache's schemes => ours. */
    private const SCHEMES = ['redis' => 'redis', 'rediss' => 'rediss', 'tcp' => 'redis', 'tls' => 'rediss'];

    /** Master names Sentinel accepts in practice: no spaces or control characters. */
    private const SERVICE_PATTERN = '/^[A-Za-z0-9_.:-]{1,128}$/D';

    /** @return array<string, mixed> the constants of CONSTANTS that are defined, by name */
    public static function defined_constants(): array
    {
        $values = [];
        foreach (self::CONSTANTS as $name) {
            if (defined($name)) {
                $values[$name] = constant($name);
            }
        }
        return $values;
    }

    /**
     * The topology the constants describe.
     *
     * @param array<string, mixed> $constants name => value of the defined ones (defined_constants())
     * @param array{0: string, 1: string} $credentials the data nodes' user and password ('' when none)
     * @return array{mode: string, source: string, seeds: list<string>, sentinels: list<string>,
     *     service: string, read_from_replicas: bool, errors: list<string>}
     */
    public static function resolve(array $constants, array $credentials): array
    {
        $topology = [
            'mode' => 'single', 'source' => '', 'seeds' => [], 'sentinels' => [], 'service' => '',
            'read_from_replicas' => false, 'errors' => [],
        ];
        $errors = [];
        $own_cluster = array_key_exists('REDIS_PERSONA_CLUSTER', $constants);
        $own_sentinel = array_key_exists('REDIS_PERSONA_SENTINEL', $constants);
        if ($own_cluster && $own_sentinel) {
            $errors[] = __('REDIS_PERSONA_CLUSTER and REDIS_PERSONA_SENTINEL are both defined: define one of them.', 'redis-persona');
        } elseif ($own_cluster && array_key_exists('REDIS_PERSONA_URL', $constants)) {
            $errors[] = __(
                'REDIS_PERSONA_URL and REDIS_PERSONA_CLUSTER are both defined: a cluster is reached through its seeds; define one.',
                'redis-persona'
            );
        }
        if ($own_cluster) {
            $topology['mode'] = 'cluster';
            $topology['source'] = 'REDIS_PERSONA_CLUSTER';
            $topology['seeds'] = self::urls($constants['REDIS_PERSONA_CLUSTER'], 'REDIS_PERSONA_CLUSTER', false, $credentials, $errors);
        } elseif ($own_sentinel || array_key_exists('REDIS_PERSONA_SERVICE', $constants)) {
            $topology['mode'] = 'sentinel';
            $topology['source'] = 'REDIS_PERSONA_SENTINEL';
            if ($own_sentinel) {
                $topology['sentinels'] = self::urls($constants['REDIS_PERSONA_SENTINEL'], 'REDIS_PERSONA_SENTINEL', false, null, $errors);
            } elseif (array_key_exists('WP_REDIS_SERVERS', $constants)) {
                $topology['sentinels'] = self::urls($constants['WP_REDIS_SERVERS'], 'WP_REDIS_SERVERS', true, null, $errors);
            } else {
                $errors[] = __('REDIS_PERSONA_SERVICE needs REDIS_PERSONA_SENTINEL: the list of sentinel URLs.', 'redis-persona');
            }
            $service = $constants['REDIS_PERSONA_SERVICE'] ?? ($constants['WP_REDIS_SENTINEL'] ?? null);
            $topology['service'] = self::service($service, array_key_exists('REDIS_PERSONA_SERVICE', $constants)
                ? 'REDIS_PERSONA_SERVICE' : 'WP_REDIS_SENTINEL', $errors);
        } elseif (array_key_exists('REDIS_PERSONA_URL', $constants)) {
            // The plugin's own single-server constant beats another plugin's topology.
        } elseif (array_key_exists('WP_REDIS_CLUSTER', $constants)) {
            $topology['mode'] = 'cluster';
            $topology['source'] = 'WP_REDIS_CLUSTER';
            $topology['seeds'] = self::urls($constants['WP_REDIS_CLUSTER'], 'WP_REDIS_CLUSTER', true, $credentials, $errors);
        } elseif (array_key_exists('WP_REDIS_SENTINEL', $constants)) {
            $topology['mode'] = 'sentinel';
            $topology['source'] = 'WP_REDIS_SENTINEL';
            if (array_key_exists('WP_REDIS_SERVERS', $constants)) {
                $topology['sentinels'] = self::urls($constants['WP_REDIS_SERVERS'], 'WP_REDIS_SERVERS', true, null, $errors);
            } else {
                $errors[] = __('WP_REDIS_SENTINEL needs WP_REDIS_SERVERS: the list of sentinels (tcp://host:port).', 'redis-persona');
            }
            $topology['service'] = self::service($constants['WP_REDIS_SENTINEL'], 'WP_REDIS_SENTINEL', $errors);
        }
        if ($topology['mode'] !== 'single') {
            $replicas = $constants['REDIS_PERSONA_READ_FROM_REPLICAS'] ?? false;
            $topology['read_from_replicas'] = !in_array($replicas, [false, 0, '0', '', 'false', 'off', null], true);
        }
        $topology['errors'] = $errors;
        return $topology;
    }

    /**
     * The arguments of `new \RedisPersona\Client($url, $options)` for a
     * topology without errors: a cluster takes no URL; Sentinel takes the
     * configured URL as the data nodes' template (scheme, credentials,
     * database; Sentinel says where the master is).
     *
     * @param array<string, mixed> $topology resolve()
     * @param string $url the configured single-server URL, password included (Config::url())
     * @return array{0: ?string, 1: array<string, mixed>}
     */
    public static function client_arguments(array $topology, string $url, string $prefix): array
    {
        $options = ['prefix' => $prefix];
        if ($topology['mode'] === 'cluster') {
            $options['cluster'] = $topology['seeds'];
            $url = null;
        } elseif ($topology['mode'] === 'sentinel') {
            $options['sentinel'] = $topology['sentinels'];
            $options['service'] = $topology['service'];
            // A socket path cannot name a master's address: no template then.
            $url = str_starts_with($url, 'unix://') ? null : $url;
        }
        if ($topology['mode'] !== 'single' && $topology['read_from_replicas']) {
            $options['read_from_replicas'] = true;
        }
        return [$url, $options];
    }

    /**
     * A list of node URLs from an array or a comma-separated string,
     * normalised to `redis[s]://[user[:password]@]host:port`.
     *
     * @param mixed $value
     * @param array{0: string, 1: string}|null $credentials put into URLs that carry no password
     * @param list<string> $errors
     * @return list<string>
     */
    private static function urls($value, string $constant, bool $object_cache, ?array $credentials, array &$errors): array
    {
        if (is_string($value)) {
            $value = explode(',', $value);
        }
        if (!is_array($value)) {
            /* translators: %s: constant name */
            $errors[] = sprintf(__('%s must be a list of URLs (an array, or a comma-separated string).', 'redis-persona'), $constant);
            return [];
        }
        $urls = [];
        $errors_before = count($errors);
        foreach ($value as $item) {
            $item = is_string($item) ? trim($item) : $item;
            if ($item === '') {
                continue;
            }
            $url = is_string($item) ? self::node_url($item, $object_cache) : null;
            if ($url === null) {
                $errors[] = sprintf(
                    /* translators: 1: constant name, 2: the value, 3: accepted forms */
                    __('%1$s: "%2$s" is not a node URL; use %3$s.', 'redis-persona'),
                    $constant,
                    is_string($item) ? Config::mask_url($item) : gettype($item),
                    $object_cache
                        ? 'tcp://host:port, tls://host:port, redis://host:port or rediss://host:port'
                        : 'redis://[user:password@]host:port or rediss://…'
                );
                continue;
            }
            $urls[] = $credentials !== null ? self::with_credentials($url, $credentials) : $url;
        }
        if ($urls === [] && count($errors) === $errors_before) {
            /* translators: %s: constant name */
            $errors[] = sprintf(__('%s lists no node.', 'redis-persona'), $constant);
        }
        return array_values(array_unique($urls));
    }

    /** `scheme://[userinfo@]host[:port][/0][?alias=…]` as a redis(s) URL, or null when malformed. */
    public static function node_url(string $url, bool $object_cache): ?string
    {
        $pattern = '#^(?<scheme>[a-z]+)://(?:(?<userinfo>\S*)@)?(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)'
            . '(?::(?<port>\d{1,5}))?(?<db>/0?)?(?:\?(?<query>[^\s]*))?$#D';
        if (preg_match($pattern, $url, $m) !== 1) {
            return null;
        }
        $scheme = self::SCHEMES[strtolower($m['scheme'])] ?? null;
        if ($scheme === null || (!$object_cache && !in_array(strtolower($m['scheme']), ['redis', 'rediss'], true))) {
            return null;
        }
        $port = ($m['port'] ?? '') === '' ? 6379 : (int) $m['port'];
        if ($port < 1 || $port > 65535) {
            return null;
        }
        if (($m['query'] ?? '') !== '') {
            // Redis Object Cache names nodes with ?alias=; nothing else is understood.
            parse_str($m['query'], $query);
            if (array_diff(array_keys($query), $object_cache ? ['alias'] : []) !== []) {
                return null;
            }
        }
        $userinfo = ($m['userinfo'] ?? '') !== '' ? $m['userinfo'] . '@' : '';
        return $scheme . '://' . $userinfo . $m['host'] . ':' . $port;
    }

    /**
     * Adds the data nodes' user and password to a URL that has no password.
     *
     * @param array{0: string, 1: string} $credentials
     */
    public static function with_credentials(string $url, array $credentials): string
    {
        [$user, $password] = $credentials;
        if ($password === '' || preg_match('#^(rediss?://)(?:([^:@/]*)@)?([^@]*)$#', $url, $m) !== 1) {
            return $url;
        }
        $user = $m[2] !== '' ? $m[2] : rawurlencode($user);
        return $m[1] . $user . ':' . rawurlencode($password) . '@' . $m[3];
    }

    /**
     * @param mixed $value
     * @param list<string> $errors
     */
    private static function service($value, string $constant, array &$errors): string
    {
        if (is_string($value) && preg_match(self::SERVICE_PATTERN, $value) === 1) {
            return $value;
        }
        $errors[] = $value === null
            ? __('Sentinel needs the master\'s name: define REDIS_PERSONA_SERVICE.', 'redis-persona')
            /* translators: %s: constant name */
            : sprintf(__('%s must be the master\'s name as the sentinels know it (letters, digits, _ . : -).', 'redis-persona'), $constant);
        return '';
    }

    /** The topology as it may be shown: passwords masked. @param array<string, mixed> $topology */
    public static function display(array $topology): array
    {
        $topology['seeds'] = array_map([Config::class, 'mask_url'], $topology['seeds']);
        $topology['sentinels'] = array_map([Config::class, 'mask_url'], $topology['sentinels']);
        return $topology;
    }
}
