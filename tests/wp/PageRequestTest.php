<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * The page tier's request rules (PageRequest), run in one PHP process of the
 * test site without a web server: which requests may share a page, and the
 * key (normalised URL and persona) of those that may.
 */
final class PageRequestTest extends SiteTestCase
{
    /**
     * @param list<array{0: array<string, string>, 1: array<string, string>}> $cases [$server, $cookies]
     * @return list<array{bypass: string, url: string, persona: string, gzip: bool}>
     */
    private static function read(array $cases): array
    {
        $php = sprintf(<<<'PHP'
            $settings = [
                'hosts' => ['example.org', 'shop.example:8080'],
                'personas' => ['family', 'solo'],
                'default_persona' => 'solo',
                'cookie' => 'rp_persona',
                'bypass_cookies' => ['wordpress_logged_in_', 'comment_author_'],
                'exclude' => ['/cart/', '/shop*'],
                'ignored_parameters' => ['utm_*', 'gclid'],
            ];
            $out = [];
            foreach (json_decode(%s, true) as [$server, $cookies]) {
                $server += ['HTTP_HOST' => 'example.org', 'REQUEST_METHOD' => 'GET'];
                $r = RedisPersona\WordPress\PageRequest::from($settings, $server, $cookies);
                $out[] = ['bypass' => $r->bypass(), 'url' => $r->url(), 'persona' => $r->persona(), 'gzip' => $r->accepts_gzip()];
            }
            echo wp_json_encode($out);
            PHP, var_export(json_encode($cases), true));
        return json_decode(Site::wp($php), true);
    }

    public function testASharedPageIsKeyedBySchemeHostAndPathAndAKnownPersona(): void
    {
        $results = self::read([
            [['REQUEST_URI' => '/hello/'], ['rp_persona' => 'family']],
            [['REQUEST_URI' => '/hello/', 'HTTP_HOST' => 'EXAMPLE.org:80'], ['rp_persona' => 'FAMILY']],
            [['REQUEST_URI' => '/hello/', 'HTTPS' => 'on', 'HTTP_HOST' => 'example.org:443'], []],
            [['REQUEST_URI' => '/hello/', 'HTTP_HOST' => 'shop.example:8080'], ['rp_persona' => 'nobody']],
            [['REQUEST_URI' => '/hello/?utm_source=mail&UTM_Medium=x&gclid=1'], []],
            [['REQUEST_URI' => '/hello/?'], []],
            [['REQUEST_URI' => '/cartoon/', 'REQUEST_METHOD' => 'HEAD'], []],
        ]);
        $this->assertSame(['', 'http://example.org/hello/', 'family'], [$results[0]['bypass'], $results[0]['url'], $results[0]['persona']]);
        $this->assertSame(['', 'http://example.org/hello/', 'family'], [$results[1]['bypass'], $results[1]['url'], $results[1]['persona']]);
        $this->assertSame(['', 'https://example.org/hello/', 'solo'], [$results[2]['bypass'], $results[2]['url'], $results[2]['persona']]);
        $this->assertSame(
            ['', 'http://shop.example:8080/hello/', 'solo'],
            [$results[3]['bypass'], $results[3]['url'], $results[3]['persona']]
        );
        $this->assertSame(['', 'http://example.org/hello/'], [$results[4]['bypass'], $results[4]['url']]);
        $this->assertSame('', $results[5]['bypass']);
        $this->assertSame('', $results[6]['bypass']);
    }

    public function testEverythingPrivateOrUnusualBypassesWithItsReason(): void
    {
        $cases = [
            'method' => [['REQUEST_URI' => '/', 'REQUEST_METHOD' => 'POST'], []],
            'cookie' => [['REQUEST_URI' => '/'], ['wordpress_logged_in_abc' => 'x']],
            'authorization' => [['REQUEST_URI' => '/', 'HTTP_AUTHORIZATION' => 'Basic eDp5'], []],
            'host' => [['REQUEST_URI' => '/', 'HTTP_HOST' => 'evil.example'], []],
            'host ' => [['REQUEST_URI' => '/', 'HTTP_HOST' => "example.org\r\nX: y"], []],
            'host  ' => [['REQUEST_URI' => '/', 'HTTP_HOST' => 'example.org:8080'], []],
            'query' => [['REQUEST_URI' => '/?p=1'], []],
            'query ' => [['REQUEST_URI' => '/?utm_source=1&s=x'], []],
            'path' => [['REQUEST_URI' => '/a/../wp-config.php'], []],
            'path ' => [['REQUEST_URI' => '/%2e%2e/wp-config.php'], []],
            'path  ' => [['REQUEST_URI' => '/a%2Fb/'], []],
            'path   ' => [['REQUEST_URI' => "/a\r\nb/"], []],
            'path    ' => [['REQUEST_URI' => '/a b/'], []],
            'path     ' => [['REQUEST_URI' => '//evil.example/'], []],
            'path      ' => [['REQUEST_URI' => '/' . str_repeat('a', 2000)], []],
            'path       ' => [['REQUEST_URI' => "/caf\xc3\xa9/"], []],
            'excluded' => [['REQUEST_URI' => '/cart/'], []],
            'excluded ' => [['REQUEST_URI' => '/Cart/checkout/'], []],
            'excluded  ' => [['REQUEST_URI' => '/shopping/'], []],
        ];
        $results = self::read(array_values($cases));
        foreach (array_keys($cases) as $i => $reason) {
            $this->assertSame(trim($reason), $results[$i]['bypass'], "case $i");
            $this->assertSame('', $results[$i]['url'], "case $i has no key");
        }
    }

    public function testAcceptEncodingAndIfNoneMatchAreParsedAsHttpSays(): void
    {
        $results = self::read([
            [['REQUEST_URI' => '/', 'HTTP_ACCEPT_ENCODING' => 'br, gzip;q=0.8'], []],
            [['REQUEST_URI' => '/', 'HTTP_ACCEPT_ENCODING' => 'gzip;q=0'], []],
            [['REQUEST_URI' => '/', 'HTTP_ACCEPT_ENCODING' => 'x-gzip, br'], []],
            [['REQUEST_URI' => '/'], []],
        ]);
        $this->assertSame([true, false, false, false], array_column($results, 'gzip'));

        $matches = json_decode(Site::wp(<<<'PHP'
            $settings = ['hosts' => ['example.org'], 'personas' => ['solo'], 'default_persona' => 'solo', 'cookie' => 'c'];
            $out = [];
            foreach (['"a1"', '"x", "a1"', 'W/"a1"', '*', '"a2"', ''] as $header) {
                $server = ['HTTP_HOST' => 'example.org', 'REQUEST_URI' => '/', 'HTTP_IF_NONE_MATCH' => $header];
                $r = RedisPersona\WordPress\PageRequest::from($settings, $server, []);
                $out[] = $r->not_modified('"a1"');
            }
            echo wp_json_encode($out);
            PHP), true);
        $this->assertSame([true, true, true, true, false, false], $matches);
    }

    public function testWpCacheIsAddedToAWritableConfigOnceAndRemovedExactly(): void
    {
        [$added, $twice, $theirs, $odd, $removed] = json_decode(Site::wp(<<<'PHP'
            use RedisPersona\WordPress\DropIn;
            $config = "<?php\n// my site\ndefine('DB_NAME', 'x');\n";
            $added = DropIn::with_wp_cache($config);
            echo wp_json_encode([
                $added,
                DropIn::with_wp_cache((string) $added),
                DropIn::with_wp_cache("<?php\ndefine('WP_CACHE', false);\n"),
                DropIn::with_wp_cache("#!/usr/bin/env php\n<?php\n"),
                DropIn::without_wp_cache((string) $added),
            ]);
            PHP), true);
        $expected = "<?php\ndefine('WP_CACHE', true); // Added by Redis Persona (page cache)\n"
            . "// my site\ndefine('DB_NAME', 'x');\n";
        $this->assertSame($expected, $added);
        $this->assertNull($twice, 'never twice');
        $this->assertNull($theirs, 'an admin\'s own WP_CACHE is left alone');
        $this->assertNull($odd, 'a file that does not start with <?php is not touched');
        $this->assertSame("<?php\n// my site\ndefine('DB_NAME', 'x');\n", $removed);
    }
}
