<?php

/**
 * The page tier at request time, run by the `advanced-cache.php` drop-in
 * before WordPress loads.
 *
 * - A hit (or a stale hit while another process re-renders) is one call to
 *   `PageCache::fetch()`, one Redis round trip: the stored status, headers
 *   and body (the gzip bytes as stored when the client takes gzip) go out
 *   and the request ends. No database connection, no plugin code.
 * - A miss that won the render lease captures WordPress's output (an output
 *   buffer) and, at the end of the request, stores it when it is safe to
 *   share: a 200 without `Set-Cookie` or `Cache-Control: private|no-store`,
 *   no `DONOTCACHEPAGE`, and a render the plugin vouched for (PageTags:
 *   anonymous, same persona, its posts and tags recorded). The store is
 *   fenced by what `fetch()` observed, so a page rendered before an
 *   invalidation that affects it is refused.
 * - Anything else steps aside at once: WordPress renders as usual and
 *   `X-Redis-Persona-Page: bypass` with `X-Redis-Persona-Page-Reason` says
 *   why. Redis down costs one breaker-bounded failure, then nothing.
 *
 * Process model: one request per PHP-FPM worker at a time; the extension's
 * client pools connections per worker, so constructing it here is cheap.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class PageServer
{
    public const HEADER = 'X-Redis-Persona';
    public const PAGE_HEADER = 'X-Redis-Persona-Page';
    public const REASON_HEADER = 'X-Redis-Persona-Page-Reason';
    public const STORE_HEADER = 'X-Redis-Persona-Page-Store';

    /** Response headers kept with a stored page (lower case). */
    public const KEPT_HEADERS = [
        'content-type', 'content-language', 'link', 'x-pingback', 'x-robots-tag', 'last-modified',
        'access-control-allow-origin', 'referrer-policy', 'x-content-type-options', 'x-frame-options',
        'content-security-policy', 'permissions-policy', 'strict-transport-security',
    ];

    private static ?PageServer $render = null;
    private static string $outcome = '';
    private static string $reason = '';

    private \RedisPersona\PageCache $cache;
    private PageRequest $request;
    /** @var array<string, mixed> */
    private array $settings;
    private string $fence;
    private string $captured = '';
    private bool $finished = false;

    /** @param array<string, mixed> $settings */
    private function __construct(\RedisPersona\PageCache $cache, PageRequest $request, array $settings, string $fence)
    {
        $this->cache = $cache;
        $this->request = $request;
        $this->settings = $settings;
        $this->fence = $fence;
    }

    /** The render this request may store, when the page tier missed and holds the lease. */
    public static function render(): ?self
    {
        return self::$render;
    }

    /** What the tier did for this request: 'hit', 'stale', 'miss', 'bypass', or '' (not run). */
    public static function outcome(): string
    {
        return self::$outcome;
    }

    /** Why the tier stepped aside ('' when it did not). */
    public static function reason(): string
    {
        return self::$reason;
    }

    public function persona(): string
    {
        return $this->request->persona();
    }

    public function url(): string
    {
        return $this->request->url();
    }

    /** The drop-in's entry point. Returns when WordPress must render; exits after serving a hit. */
    public static function boot(): void
    {
        if (headers_sent()) {
            // Something printed before WordPress (a stray byte in wp-config.php):
            // no header can be sent, so nothing can be served or kept.
            self::$outcome = 'bypass';
            self::$reason = 'output';
            return;
        }
        $why = '';
        $settings = PageSettings::load($why);
        if ($settings === null) {
            self::bypass($why);
            return;
        }
        $request = PageRequest::from($settings, $_SERVER, $_COOKIE);
        if ($request->bypass() !== '') {
            self::bypass($request->bypass());
            return;
        }
        if (!class_exists(\RedisPersona\PageCache::class, false)) {
            self::bypass('no-extension');
            return;
        }
        if (PageSettings::outage_raised()) {
            self::bypass('outage');
            return;
        }
        try {
            $cache = self::cache($settings);
            $found = $cache->fetch($request->url(), $request->persona(), $request->accepts_gzip());
        } catch (\Throwable $e) {
            // Redis down, refusing or misconfigured: WordPress renders as if we were not here.
            self::bypass('unavailable');
            return;
        }
        $state = (string) $found['state'];
        if ($state === 'hit' || ($state === 'stale' && empty($found['render']))) {
            self::serve($request, $found);
            exit;
        }
        self::$outcome = 'miss';
        header(self::PAGE_HEADER . ': miss');
        // The page is shared by every value of the ignored parameters, so it
        // must not depend on them: WordPress renders as if they were absent.
        $request->strip_ignored_parameters($_SERVER, $_GET, $_REQUEST);
        if (!empty($found['render'])) {
            self::$render = new self($cache, $request, $settings, (string) $found['fence']);
            ob_start([self::$render, 'capture']);
        }
    }

    /** @param array<string, mixed> $settings */
    public static function cache(array $settings): \RedisPersona\PageCache
    {
        $options = ['prefix' => (string) $settings['prefix']];
        foreach (['connect_timeout_ms', 'read_timeout_ms', 'cluster', 'sentinel', 'service', 'read_from_replicas'] as $name) {
            if (!empty($settings['client'][$name])) {
                $options[$name] = $settings['client'][$name];
            }
        }
        // No URL on a cluster; on Sentinel an optional template for the data nodes.
        $url = isset($settings['url']) && $settings['url'] !== '' ? (string) $settings['url'] : null;
        $client = new \RedisPersona\Client($url, $options);
        return new \RedisPersona\PageCache($client, [
            'ttl' => (int) $settings['ttl'],
            'stale_ttl' => (int) $settings['stale_ttl'],
        ]);
    }

    /** The body limit the extension stores (PageCache's max_bytes). */
    public const MAX_BYTES = 4 * 1024 * 1024;

    private static function bypass(string $why): void
    {
        self::$outcome = 'bypass';
        self::$reason = $why;
        if (!headers_sent()) {
            header(self::PAGE_HEADER . ': bypass');
            header(self::REASON_HEADER . ': ' . $why);
        }
    }

    /** @param array<string, mixed> $found */
    private static function serve(PageRequest $request, array $found): void
    {
        self::$outcome = (string) $found['state'];
        $etag = (string) $found['etag'];
        $common = [
            self::HEADER => $request->persona() . '; page-' . $found['state'],
            'Vary' => 'Cookie, Accept-Encoding',
            'Age' => (string) max(0, (int) $found['age']),
            'ETag' => $etag,
        ];
        if ($request->not_modified($etag)) {
            http_response_code(304);
            foreach ($common as $name => $value) {
                header($name . ': ' . $value);
            }
            return;
        }
        http_response_code((int) $found['status']);
        foreach ((array) $found['headers'] as $name => $value) {
            header($name . ': ' . $value);
        }
        foreach ($common as $name => $value) {
            header($name . ': ' . $value);
        }
        $body = (string) $found['body'];
        if ($found['encoding'] === 'gzip') {
            header('Content-Encoding: gzip');
        }
        header('Content-Length: ' . strlen($body));
        if (!$request->is_head()) {
            echo $body;
        }
    }

    /**
     * The output buffer's handler: collects the page, and at the end stores
     * it when it may be shared. Always returns the output unchanged.
     */
    public function capture(string $buffer, int $phase): string
    {
        if ($this->finished) {
            return $buffer;
        }
        $this->captured .= $buffer;
        if (($phase & PHP_OUTPUT_HANDLER_FINAL) === 0) {
            return $buffer;
        }
        $this->finished = true;
        try {
            $result = $this->finish();
        } catch (\Throwable $e) {
            // A refused or failed store only costs this page's caching.
            $result = 'failed';
            $this->abandon();
        }
        if (!headers_sent()) {
            header(self::STORE_HEADER . ': ' . $result);
        }
        return $buffer;
    }

    private function finish(): string
    {
        $why = $this->not_shareable();
        if ($why !== '') {
            $this->abandon();
            return 'skipped; ' . $why;
        }
        $tags = PageTags::tags();
        $posts = PageTags::posts();
        $headers = $this->kept_headers();
        $surrogate = PageTags::surrogate_keys();
        if ($surrogate !== []) {
            $headers['Surrogate-Key'] = implode(' ', $surrogate);
            $headers['Cache-Tag'] = implode(',', $surrogate);
            if (!headers_sent()) {
                header('Surrogate-Key: ' . $headers['Surrogate-Key']);
                header('Cache-Tag: ' . $headers['Cache-Tag']);
            }
        }
        $ttl = (int) $this->settings['ttl'];
        if (PageTags::has_nonce()) {
            $ttl = max(60, min($ttl, (int) $this->settings['nonce_ttl']));
        }
        $stored = $this->cache->store(
            $this->request->url(),
            $this->request->persona(),
            $this->fence,
            200,
            $headers,
            $this->captured,
            $posts,
            $tags,
            $ttl
        );
        return $stored ? 'stored' : 'refused';
    }

    /** Why the captured response must not be shared ('' when it may). */
    private function not_shareable(): string
    {
        if (http_response_code() !== 200) {
            return 'status';
        }
        if (defined('DONOTCACHEPAGE') && DONOTCACHEPAGE) {
            return 'donotcachepage';
        }
        if (strlen($this->captured) > self::MAX_BYTES) {
            return 'too-large';
        }
        foreach (headers_list() as $line) {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $name = strtolower(trim($name));
            $value = strtolower($value);
            if ($name === 'set-cookie') {
                return 'set-cookie';
            }
            if ($name === 'cache-control' && preg_match('/\b(?:private|no-store)\b/', $value) === 1) {
                return 'cache-control';
            }
            if ($name === 'content-encoding' && trim($value) !== '' && trim($value) !== 'identity') {
                // Already compressed (ob_gzhandler): not what the tier stores.
                return 'content-encoding';
            }
        }
        if ($this->captured === '') {
            return 'empty';
        }
        $vouched = PageTags::verdict($this->request->persona());
        return $vouched;
    }

    /** @return array<string, string> */
    private function kept_headers(): array
    {
        $kept = [];
        foreach (headers_list() as $line) {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $name = trim($name);
            if (in_array(strtolower($name), self::KEPT_HEADERS, true)) {
                // Repeated headers (Link) are one comma-separated list.
                $kept[$name] = isset($kept[$name]) ? $kept[$name] . ', ' . trim($value) : trim($value);
            }
        }
        return $kept;
    }

    private function abandon(): void
    {
        try {
            $this->cache->abandon($this->request->url(), $this->request->persona(), $this->fence);
        } catch (\Throwable $e) {
            // The lease expires on its own.
            return;
        }
    }
}
