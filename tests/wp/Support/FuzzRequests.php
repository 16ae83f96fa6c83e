<?php

declare(strict_types=1);

namespace RedisPersona\WpTests\Support;

/**
 * Seeded generator of hostile HTTP requests for one REST route, from the
 * route's own description in the REST index (methods, argument schemas,
 * path parameters): plausible values by argument name so requests reach the
 * plugin's code, hostile ones of every JSON/form shape, odd methods,
 * encodings, cookies, credentials and WordPress's own meta parameters.
 */
final class FuzzRequests
{
    /** Header that tells the sandbox mu-plugin to lift the REST rate limits. */
    public const UNLIMITED = ['X-RP-Test-Rate-Limit' => 'off'];

    private const STRINGS = [
        '', ' ', "\0", "a\0b", "\r\n", "x\r\nSet-Cookie: a=b", '*', '?', '[a-z]', '{', '}', '{tag}', ':', 'a:b', '..',
        '../../wp-config.php', '/', '\\', '%s%n', '%00', '%0d%0a', "\xff\xfe", "\xc3\x28", "\xed\xa0\x80", 'é', '😀',
        "\u{202e}evil", "\t", "\x7f", "<script>alert(1)</script>", "a'; DROP TABLE wp_posts; --", '$(reboot)',
        '-1', '0', '1e100', '9223372036854775808', '0x1A', ' 42', 'NaN', 'null', 'true', '[]', '{}',
        '2031-02-30', '2031-13-01', "2031-05-05\n", '24:00', '9:00', 'room 1', 'a@b', '12345a', 'default',
    ];

    /** Far over nginx's request-line buffers (8 KB): still a 414, never a reset connection. */
    private const MAX_URL_BYTES = 100000;

    /**
     * Draws from mt_rand: the caller seeds it (mt_srand) once for the run.
     *
     * @param array<string, mixed> $route {path, endpoints: list<{methods, args}>}
     */
    public function __construct(private array $route)
    {
    }

    private static function chance(float $p): bool
    {
        return mt_rand() / mt_getrandmax() < $p;
    }

    /**
     * @template T
     * @param array<T> $items
     * @return T
     */
    private static function pick(array $items)
    {
        return $items[array_rand($items)];
    }

    /**
     * The next request: [url, Http options, printable description].
     *
     * @return array{0: string, 1: array<string, mixed>, 2: string}
     */
    public function next(): array
    {
        $endpoint = self::pick($this->route['endpoints']);
        $method = self::chance(0.85)
            ? self::pick($endpoint['methods'])
            : self::pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'FOO']);
        $params = $this->params((array) ($endpoint['args'] ?? []));
        $path = $this->path();
        $headers = $this->headers();
        if (self::chance(0.9)) {
            $headers += self::UNLIMITED;
        } elseif (filter_var($headers['X-RP-Test-IP'] ?? '', FILTER_VALIDATE_IP) === false) {
            // Limited requests count against an address of the fuzz's own,
            // never 127.0.0.1, which the other tests' requests come from.
            $headers['X-RP-Test-IP'] = '10.9.' . mt_rand(0, 255) . '.' . mt_rand(1, 254);
        }
        $options = ['method' => $method, 'headers' => $headers];
        $query = [];
        $inBody = !in_array($method, ['GET', 'HEAD'], true) && self::chance(0.8);
        if ($inBody) {
            [$body, $type] = $this->body($params);
            $options['body'] = $body;
            if ($type !== null) {
                $options['headers']['Content-Type'] = $type;
            }
        } else {
            $query = $params;
        }
        if (self::chance(0.1)) {
            $query += $this->wordpressMeta();
        }
        $auth = mt_rand(0, 99);
        if ($auth < 10) {
            $options['auth'] = Site::admin();
        } elseif ($auth < 13) {
            $options['auth'] = self::pick([['admin', 'wrong password'], ["adm\tin", 'x'], ['', ''], ['nobody', str_repeat('p', 500)]]);
        }
        $cookies = $this->cookies();
        if ($cookies !== []) {
            $options['cookies'] = $cookies;
        }
        $url = Site::rest_url(ltrim($path, '/'));
        $encoded = self::chance(0.05) ? self::rawQuery() : http_build_query($query);
        if ($encoded !== '') {
            $url .= '?' . $encoded;
        }
        // nginx answers 414 to a request line over its buffers, but one over
        // about a megabyte it may just close while curl still sends: cut
        // such URLs (no randomness is drawn here, so the sequence is kept).
        $url = substr($url, 0, self::MAX_URL_BYTES);
        return [$url, $options, $this->describe($method, $url, $options)];
    }

    /** The route's path with its path parameters filled in, sometimes with junk appended. */
    private function path(): string
    {
        $path = preg_replace_callback(
            '/\(\?P<(\w+)>[^)]*\)/',
            fn ($m) => rawurlencode((string) $this->scalar($m[1], self::chance(0.5))),
            (string) $this->route['path']
        );
        if (self::chance(0.04)) {
            $path .= self::pick(['/', '/x', '/..', '%00', '/%2e%2e/%2e%2e', '//', '/' . str_repeat('a', 300)]);
        }
        return $path;
    }

    /**
     * @param array<string, array<string, mixed>> $args
     * @return array<string, mixed>
     */
    private function params(array $args): array
    {
        $params = [];
        $hostileOne = self::chance(0.75) && $args !== [] ? self::pick(array_keys($args)) : null;
        foreach ($args as $name => $schema) {
            if (self::chance(0.08)) {
                continue; // missing, required or not
            }
            $hostile = $name === $hostileOne || self::chance(0.1);
            $params[$name] = $hostile ? $this->hostile(0) : $this->scalar((string) $name, false);
        }
        for ($i = self::chance(0.2) ? mt_rand(1, 3) : 0; $i > 0; $i--) {
            $params[self::pick(['extra', 'id', "k\0", '../x', 'date[', str_repeat('p', 200), 'a.b'])] = $this->hostile(0);
        }
        return $params;
    }

    /** A plausible value for an argument, by name; or a hostile scalar. */
    private function scalar(string $name, bool $hostile)
    {
        if ($hostile) {
            return self::pick(self::STRINGS);
        }
        return match ($name) {
            'date' => sprintf('2%03d-%02d-%02d', mt_rand(30, 999), mt_rand(1, 12), mt_rand(1, 28)),
            'time' => sprintf('%02d:%s', mt_rand(0, 23), self::pick(['00', '30'])),
            'resource' => self::pick(['room-1', 'room-2', 'table.3', 'dr_who']),
            'owner' => self::pick(['alice', 'Bob B.', 'guest']),
            'token' => bin2hex(random_bytes(16)),
            'ttl' => self::pick([30, 60, 600, 3600]),
            'identity' => 'fuzz' . mt_rand(1, 50) . '@example.test',
            'code' => sprintf('%06d', mt_rand(0, 999999)),
            'days' => mt_rand(1, 90),
            'reference' => bin2hex(random_bytes(6)),
            default => 'v' . mt_rand(1, 100),
        };
    }

    private function hostile(int $depth)
    {
        switch (mt_rand(0, 9)) {
            case 0:
                return null;
            case 1:
                return self::chance(0.5);
            case 2:
                return self::pick([0, -1, PHP_INT_MAX, PHP_INT_MIN, 2 ** 53, 1.5, -0.0, 1e308, 29, 3601]);
            case 3:
            case 4:
            case 5:
                return self::pick(self::STRINGS);
            case 6:
                return str_repeat(self::pick(['x', 'é', '*']), self::pick([65, 255, 256, 4096, 100000]));
            case 7:
                return $depth > 2 ? [] : [$this->hostile($depth + 1), 'k' => $this->hostile($depth + 1)];
            case 8:
                return $depth > 2 ? [] : [self::pick(self::STRINGS)];
            default:
                return ['date' => '2031-05-05', 'nested' => ['deeper' => [1, 2, 3]]];
        }
    }

    /**
     * A body for the parameters: JSON (valid or not), form, multipart, or junk.
     *
     * @param array<string, mixed> $params
     * @return array{0: string|array<string, mixed>, 1: string|null}
     */
    private function body(array $params): array
    {
        $json = (string) json_encode($params, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        switch (mt_rand(0, 11)) {
            case 0:
                return [http_build_query($params), 'application/x-www-form-urlencoded'];
            case 1:
                return [substr($json, 0, max(1, intdiv(strlen($json), 2))), 'application/json'];
            case 2:
                return [self::pick(['null', '[]', '"x"', '42', 'true', '[[[[[]]]]]', '{"a":']), 'application/json'];
            case 3:
                return [str_repeat('[', 5000) . str_repeat(']', 5000), 'application/json'];
            case 4:
                $types = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-7'];
                return [$json, self::pick($types)];
            case 5:
                return ["\xff\xfe" . $json, 'application/json'];
            default:
                return [$json, null];
        }
    }

    /** @return array<string, string> */
    private function headers(): array
    {
        $headers = [];
        if (self::chance(0.5)) {
            $headers['X-RP-Test-IP'] = self::chance(0.9) ? '10.9.' . mt_rand(0, 255) . '.' . mt_rand(1, 254)
                : self::pick(['::1', '999.1.1.1', 'x', '', '127.0.0.1, 10.0.0.1', str_repeat('1', 300)]);
        }
        if (self::chance(0.05)) {
            $headers['X-WP-Nonce'] = self::pick(['x', '0', str_repeat('a', 100)]);
        }
        if (self::chance(0.05)) {
            $headers['X-HTTP-Method-Override'] = self::pick(['DELETE', 'PUT', 'FOO', '']);
        }
        if (self::chance(0.03)) {
            $headers['Authorization'] = self::pick(['Bearer x', 'Basic !!!', 'Basic ' . base64_encode("\0:\0"), 'Digest a']);
        }
        return $headers;
    }

    /** @return array<string, string> */
    private function cookies(): array
    {
        $cookies = [];
        if (self::chance(0.4)) {
            $cookies['rp_persona'] = self::chance(0.5) ? self::pick(['family', 'business', 'student', 'default'])
                : rawurlencode((string) self::pick(self::STRINGS));
        }
        if (self::chance(0.05)) {
            $cookies['wordpress_logged_in_' . md5('x')] = self::pick(['admin|1|x|y', 'x', str_repeat('%', 200)]);
        }
        return $cookies;
    }

    /** @return array<string, mixed> */
    private function wordpressMeta(): array
    {
        return [self::pick(['_method', '_envelope', '_fields', '_jsonp', 'context', '_embed', 'rest_route', 'per_page'])
            => self::pick(['DELETE', '1', 'a,b', 'alert', 'edit', '', '/wp/v2/users', '-1', 'PUT'])];
    }

    private static function rawQuery(): string
    {
        return self::pick(['date=%ff&resource=%00', 'a[b][c][d]=1&date[]=x', '%', '&&&=&', str_repeat('x[]=1&', 2000), 'days=1e9']);
    }

    /** @param array<string, mixed> $options */
    private function describe(string $method, string $url, array $options): string
    {
        $body = $options['body'] ?? null;
        if (is_array($body)) {
            $body = json_encode($body, JSON_INVALID_UTF8_SUBSTITUTE);
        }
        $parts = [$method . ' ' . (strlen($url) > 300 ? substr($url, 0, 300) . '…' : $url)];
        if ($body !== null) {
            $parts[] = 'body ' . (strlen((string) $body) > 300 ? substr((string) $body, 0, 300) . '…' : $body);
        }
        $parts[] = 'headers ' . json_encode($options['headers'] ?? []);
        if (isset($options['cookies'])) {
            $parts[] = 'cookies ' . json_encode($options['cookies'], JSON_INVALID_UTF8_SUBSTITUTE);
        }
        if (isset($options['auth'])) {
            $parts[] = 'auth ' . ($options['auth'] === Site::admin() ? 'admin' : 'bad');
        }
        return addcslashes(implode('; ', $parts), "\0..\37");
    }
}
