<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

final class PersonaContentTest extends SiteTestCase
{
    public static function setUpBeforeClass(): void
    {
        // Every test starts from an empty cache.
        $flushed = Site::rest('POST', 'redis-persona/v1/cache/flush', null, ['auth' => Site::admin()]);
        self::assertSame(200, $flushed['status'], $flushed['body']);
    }

    private static function cached_status(array $response): string
    {
        // In fallback mode the header says "fallback" and the cache status moves to its own header.
        $header = $response['headers']['x-redis-persona'] ?? '';
        $status = trim(explode(';', $header . ';')[1]);
        if ($status === 'fallback') {
            return $response['headers']['x-redis-persona-fallback'] ?? '';
        }
        return $status;
    }

    public function testEachPersonaGetsItsVariantAndTheHeaderSaysWhich(): void
    {
        $expected = [
            'family' => ['family', 'not-business'],
            'solo' => ['not-business', 'solo'],
            'business' => ['business'],
        ];
        foreach ($expected as $persona => $classes) {
            $page = Site::get('/lakeside-welcome/', ['cookies' => ['rp_persona' => $persona]]);
            $this->assertSame(200, $page['status']);
            $this->assertSame($classes, self::personas_in($page['body']), "persona $persona");
            $mode = Site::mode() === 'fallback' ? 'fallback' : '(hit|miss|stale)';
            $this->assertMatchesRegularExpression("/^$persona; $mode\$/", $page['headers']['x-redis-persona']);
            $this->assertStringContainsString('Cookie', $page['headers']['vary'] ?? '');
        }
    }

    public function testUnknownOrHostileCookiesGetTheDefaultPersona(): void
    {
        foreach (['nobody', 'family2', "family\r\nX-Injected: 1", str_repeat('a', 5000), '../../etc', 'solo*', '{b1}', ''] as $value) {
            $page = Site::get('/lakeside-welcome/', ['cookies' => ['rp_persona' => rawurlencode($value)]]);
            $this->assertSame(200, $page['status']);
            $this->assertStringStartsWith('solo; ', $page['headers']['x-redis-persona']);
            $this->assertSame(['not-business', 'solo'], self::personas_in($page['body']));
            $this->assertArrayNotHasKey('x-injected', $page['headers']);
        }
    }

    public function testASecondViewIsAHitThatDoesNotRunTheSlowShortcode(): void
    {
        $cookie = ['cookies' => ['rp_persona' => 'family']];
        $first = Site::get('/rp-slow/', $cookie);
        $this->assertSame(200, $first['status']);
        $this->assertStringContainsString('rendered slowly', $first['body']);
        $runs = Site::slow_runs();
        for ($i = 0; $i < 5; $i++) {
            $again = Site::get('/rp-slow/', $cookie);
            $this->assertSame('hit', self::cached_status($again));
            $this->assertStringContainsString('rendered slowly', $again['body'], 'the cached HTML includes the shortcode output');
            $this->assertSame(['family'], self::personas_in($again['body']));
        }
        $this->assertSame($runs, Site::slow_runs(), 'a hit must not execute the slow shortcode');
    }

    public function testLoggedInEditorsPreviewsAndProtectedPostsBypassTheCache(): void
    {
        $login = Site::wp(<<<'PHP'
            $user = get_user_by('login', 'admin');
            $expiration = time() + 3600;
            echo LOGGED_IN_COOKIE, '=', wp_generate_auth_cookie($user->ID, $expiration, 'logged_in');
            PHP);
        [$name, $value] = explode('=', trim($login), 2);
        $page = Site::get('/lakeside-welcome/', ['cookies' => [$name => $value, 'rp_persona' => 'business']]);
        $this->assertSame(200, $page['status']);
        $this->assertSame('business; bypass', $page['headers']['x-redis-persona']);
        $this->assertSame(['business'], self::personas_in($page['body']), 'bypassed content still varies by persona');

        $protected = Site::wp(<<<'PHP'
            $id = wp_insert_post(['post_title' => 'Protected', 'post_status' => 'publish', 'post_password' => 'secret',
                'post_content' => '[persona is="family"]<p class="persona-family">x</p>[/persona]']);
            echo get_permalink($id);
            PHP);
        $page = Site::get((string) parse_url(trim($protected), PHP_URL_PATH), ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame(200, $page['status']);
        $this->assertSame('family; bypass', $page['headers']['x-redis-persona']);
        $this->assertStringNotContainsString('persona-family', $page['body'], 'the password form, not the content');
    }

    public function testNonSingularPagesCarryTheHeaderToo(): void
    {
        foreach (['/', '/category/offers/', '/no-such-page-' . random_int(1, 1 << 30) . '/'] as $path) {
            $page = Site::get($path, ['cookies' => ['rp_persona' => 'business']]);
            $this->assertContains($page['status'], [200, 404], $path);
            $this->assertSame('business; bypass', $page['headers']['x-redis-persona'] ?? null, $path);
            $this->assertStringContainsString('Cookie', $page['headers']['vary'] ?? '', $path);
        }
    }
}
