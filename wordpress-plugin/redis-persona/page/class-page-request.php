<?php

/**
 * What the page tier makes of one request, before WordPress loads: either
 * the reason it must not share a page (`bypass()`), or the page's key: its
 * normalised URL and the visitor's variant (persona).
 *
 * Plain PHP on purpose: the drop-in runs it before any WordPress function
 * exists, and the plugin's logic tests run it without a web server.
 *
 * Normalised URL: scheme + host (+ port when not the scheme's default) +
 * path, the query string dropped once only ignored marketing parameters are
 * left in it. The host must be one of the site's own (from the settings
 * file), so a forged `Host` header can neither read nor fill another key.
 * The path is kept as sent (WordPress answers a non-canonical form with a
 * 301, which is never stored), but a path that is not plain URL text
 * (control bytes, whitespace, dot segments, encoded slashes or dots, over
 * 2 000 bytes) bypasses the tier.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageRequest
{
    /** Longest path the tier keys on (the extension takes 2 048-byte URLs). */
    public const MAX_PATH_BYTES = 1900;

    private string $bypass = '';
    private string $url = '';
    private string $persona = '';
    private bool $accepts_gzip = false;
    private bool $head = false;
    private string $if_none_match = '';

    /**
     * @param array<string, mixed> $settings the page tier's settings (PageSettings)
     * @param array<string, mixed> $server   $_SERVER
     * @param array<string, mixed> $cookies  $_COOKIE
     */
    public static function from(array $settings, array $server, array $cookies): self
    {
        $request = new self();
        $request->bypass = $request->read($settings, $server, $cookies);
        return $request;
    }

    /** Why the tier must not answer or store this request ('' when it may). */
    public function bypass(): string
    {
        return $this->bypass;
    }

    public function url(): string
    {
        return $this->url;
    }

    public function persona(): string
    {
        return $this->persona;
    }

    public function accepts_gzip(): bool
    {
        return $this->accepts_gzip;
    }

    public function is_head(): bool
    {
        return $this->head;
    }

    /**
     * Removes the ignored parameters from what WordPress will see (the
     * request URI, the query string, $_GET and $_REQUEST), so that a page
     * shared by every value of them cannot carry one of them.
     *
     * @param array<string, mixed> $server
     * @param array<string, mixed> $get
     * @param array<string, mixed> $request
     */
    public function strip_ignored_parameters(array &$server, array &$get, array &$request): void
    {
        $uri = is_string($server['REQUEST_URI'] ?? null) ? $server['REQUEST_URI'] : '';
        if (!str_contains($uri, '?')) {
            return;
        }
        foreach (explode('&', (string) substr($uri, strpos($uri, '?') + 1)) as $pair) {
            $name = urldecode(explode('=', $pair, 2)[0]);
            unset($get[$name], $request[$name]);
        }
        $server['REQUEST_URI'] = (string) strstr($uri, '?', true);
        $server['QUERY_STRING'] = '';
    }

    /** Whether `If-None-Match` names $etag (a list, `*`, or the weak form). */
    public function not_modified(string $etag): bool
    {
        if ($this->if_none_match === '' || $etag === '') {
            return false;
        }
        foreach (explode(',', $this->if_none_match) as $candidate) {
            $candidate = trim($candidate);
            if (str_starts_with($candidate, 'W/')) {
                $candidate = substr($candidate, 2);
            }
            if ($candidate === $etag || $candidate === '*') {
                return true;
            }
        }
        return false;
    }

    /**
     * @param array<string, mixed> $settings
     * @param array<string, mixed> $server
     * @param array<string, mixed> $cookies
     */
    private function read(array $settings, array $server, array $cookies): string
    {
        $method = is_string($server['REQUEST_METHOD'] ?? null) ? strtoupper($server['REQUEST_METHOD']) : 'GET';
        if ($method !== 'GET' && $method !== 'HEAD') {
            return 'method';
        }
        $this->head = $method === 'HEAD';
        if (self::has_private_cookie($cookies, (array) ($settings['bypass_cookies'] ?? []))) {
            return 'cookie';
        }
        if (isset($server['HTTP_AUTHORIZATION']) || isset($server['PHP_AUTH_USER'])) {
            return 'authorization';
        }
        $host = is_string($server['HTTP_HOST'] ?? null) ? strtolower($server['HTTP_HOST']) : '';
        $https = self::is_https($server);
        $host = self::without_default_port($host, $https);
        if ($host === '' || !in_array($host, (array) ($settings['hosts'] ?? []), true)) {
            return 'host';
        }
        $uri = is_string($server['REQUEST_URI'] ?? null) ? $server['REQUEST_URI'] : '';
        [$path, $query] = array_pad(explode('?', $uri, 2), 2, '');
        if (!self::plain_path($path)) {
            return 'path';
        }
        if ($query !== '' && !self::only_ignored_parameters($query, (array) ($settings['ignored_parameters'] ?? []))) {
            return 'query';
        }
        foreach ((array) ($settings['exclude'] ?? []) as $excluded) {
            if (is_string($excluded) && $excluded !== '' && self::path_matches($path, $excluded)) {
                return 'excluded';
            }
        }
        $this->url = ($https ? 'https://' : 'http://') . $host . $path;
        $this->persona = self::persona_of($settings, $cookies);
        $encoding = is_string($server['HTTP_ACCEPT_ENCODING'] ?? null) ? $server['HTTP_ACCEPT_ENCODING'] : '';
        $this->accepts_gzip = self::accepts($encoding, 'gzip');
        $this->if_none_match = is_string($server['HTTP_IF_NONE_MATCH'] ?? null) ? substr($server['HTTP_IF_NONE_MATCH'], 0, 1024) : '';
        return '';
    }

    /**
     * The variant: the persona cookie when it names a configured persona,
     * else the default (an unknown value never makes a key of its own).
     *
     * @param array<string, mixed> $settings
     * @param array<string, mixed> $cookies
     */
    public static function persona_of(array $settings, array $cookies): string
    {
        $default = (string) ($settings['default_persona'] ?? '');
        $cookie = $cookies[(string) ($settings['cookie'] ?? '')] ?? null;
        if (!is_string($cookie)) {
            return $default;
        }
        $candidate = strtolower(trim($cookie));
        return in_array($candidate, (array) ($settings['personas'] ?? []), true) ? $candidate : $default;
    }

    /**
     * @param array<string, mixed> $cookies
     * @param array<mixed> $prefixes
     */
    public static function has_private_cookie(array $cookies, array $prefixes): bool
    {
        foreach (array_keys($cookies) as $name) {
            foreach ($prefixes as $prefix) {
                if (is_string($prefix) && $prefix !== '' && str_starts_with((string) $name, $prefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** @param array<string, mixed> $server */
    private static function is_https(array $server): bool
    {
        $https = $server['HTTPS'] ?? '';
        if (is_string($https) && $https !== '' && strtolower($https) !== 'off') {
            return true;
        }
        return (string) ($server['SERVER_PORT'] ?? '') === '443';
    }

    private static function without_default_port(string $host, bool $https): string
    {
        if (preg_match('/^[a-z0-9.-]+(?::[0-9]{1,5})?$|^\[[0-9a-f:.]+\](?::[0-9]{1,5})?$/D', $host) !== 1) {
            return '';
        }
        $default = $https ? ':443' : ':80';
        return str_ends_with($host, $default) ? substr($host, 0, -strlen($default)) : $host;
    }

    /** Plain URL path text: no control bytes, spaces, dot segments or encoded separators. */
    public static function plain_path(string $path): bool
    {
        if ($path === '' || $path[0] !== '/' || strlen($path) > self::MAX_PATH_BYTES) {
            return false;
        }
        if (preg_match('#^[A-Za-z0-9\-._~%!$&\'()*+,;=:@/]+$#D', $path) !== 1) {
            return false;
        }
        if (preg_match('#%(?:2[eEfF]|5[cC]|0|1|7[fF])#', $path) === 1 || str_contains($path, '//')) {
            return false;
        }
        return preg_match('#(?:^|/)\.{1,2}(?:/|$)#', $path) !== 1;
    }

    /** @param array<mixed> $ignored exact names, or prefixes ending in `*` */
    public static function only_ignored_parameters(string $query, array $ignored): bool
    {
        foreach (explode('&', $query) as $pair) {
            if ($pair === '') {
                continue;
            }
            $name = strtolower(urldecode(explode('=', $pair, 2)[0]));
            $known = false;
            foreach ($ignored as $pattern) {
                if (!is_string($pattern) || $pattern === '') {
                    continue;
                }
                if (str_ends_with($pattern, '*') ? str_starts_with($name, substr($pattern, 0, -1)) : $name === $pattern) {
                    $known = true;
                    break;
                }
            }
            if (!$known) {
                return false;
            }
        }
        return true;
    }

    /** `/cart/` excludes `/cart/` and everything below it; `/cart*` any path starting so. */
    public static function path_matches(string $path, string $excluded): bool
    {
        $path = strtolower(rawurldecode($path));
        $excluded = strtolower($excluded);
        if (str_ends_with($excluded, '*')) {
            return str_starts_with($path, substr($excluded, 0, -1));
        }
        $excluded = rtrim($excluded, '/');
        return $path === $excluded || $path === $excluded . '/' || str_starts_with($path, $excluded . '/');
    }

    private static function accepts(string $header, string $coding): bool
    {
        foreach (explode(',', strtolower($header)) as $part) {
            $fields = array_map('trim', explode(';', $part));
            if ($fields[0] !== $coding) {
                continue;
            }
            foreach (array_slice($fields, 1) as $param) {
                if (preg_match('/^q=0(?:\.0{0,3})?$/', $param) === 1) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
