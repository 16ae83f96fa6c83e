<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Nothing private is ever cached for everybody: logged-in views, session
 * cookies, DONOTCACHEPAGE, and renders that an administrator triggers.
 */
final class PrivacyTest extends SiteTestCase
{
    /** @return array{id: int, path: string} */
    private static function post(string $content): array
    {
        $created = Site::rest('POST', 'wp/v2/posts', [
            'title' => 'Privacy ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => $content,
        ], ['auth' => Site::admin()]);
        if ($created['status'] !== 201) {
            throw new \RuntimeException('post not created: ' . $created['body']);
        }
        return ['id' => (int) $created['json']['id'], 'path' => (string) parse_url($created['json']['link'], PHP_URL_PATH)];
    }

    /** The content tier's answer: hit|miss|stale|bypass (in either mode). */
    private static function status(array $page): string
    {
        [, $status] = array_map('trim', explode(';', $page['headers']['x-redis-persona'] ?? ' ; ?', 2));
        return $status === 'fallback' ? ($page['headers']['x-redis-persona-fallback'] ?? '?') : $status;
    }

    /** @return array<string, string> a subscriber's login cookies */
    private static function subscriber(): array
    {
        $lines = Site::wp(<<<'PHP'
            $user = get_user_by('login', 'rp-subscriber');
            $id = $user ? $user->ID : wp_insert_user([
                'user_login' => 'rp-subscriber',
                'user_pass' => wp_generate_password(),
                'role' => 'subscriber',
            ]);
            echo LOGGED_IN_COOKIE, '=', wp_generate_auth_cookie((int) $id, time() + 3600, 'logged_in'), "\n";
            PHP);
        [$name, $value] = explode('=', trim($lines), 2);
        return [$name => $value];
    }

    public function testALoggedInSubscribersViewIsNeverStoredOrServed(): void
    {
        $post = self::post('[rp_whoami]<p class="persona-family">members welcome</p>');
        $own = Site::get($post['path'], ['cookies' => self::subscriber() + ['rp_persona' => 'family']]);
        $this->assertSame(200, $own['status']);
        $this->assertStringContainsString('user:rp-subscriber', $own['body']);
        $this->assertSame('bypass', self::status($own));

        $public = Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('miss', self::status($public), 'the subscriber populated nothing');
        $this->assertStringNotContainsString('user:rp-subscriber', $public['body']);
        $this->assertStringContainsString('anonymous', $public['body']);
        $again = Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('hit', self::status($again));

        $cached = Site::get($post['path'], ['cookies' => self::subscriber() + ['rp_persona' => 'family']]);
        $this->assertSame('bypass', self::status($cached), 'a logged-in visitor never reads the shared copy');
        $this->assertStringContainsString('user:rp-subscriber', $cached['body']);
    }

    /** @return iterable<string, array{0: array<string, string>}> */
    public static function sessionCookies(): iterable
    {
        yield 'commenter' => [['comment_author_0123abcd' => 'Bob']];
        yield 'post password' => [['wp-postpass_0123abcd' => 'x']];
        yield 'shop cart' => [['woocommerce_items_in_cart' => '1']];
        yield 'shop session' => [['wp_woocommerce_session_0123' => 'abc']];
    }

    /** @dataProvider sessionCookies */
    public function testASessionCookieBypassesReadingAndStoring(array $cookie): void
    {
        $post = self::post('<p class="persona-family">session</p>[rp_slow ms="1"]');
        $runs = Site::slow_runs();
        $first = Site::get($post['path'], ['cookies' => $cookie + ['rp_persona' => 'family']]);
        $this->assertSame('bypass', self::status($first));
        $public = Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('miss', self::status($public), 'the session view stored nothing');
        $this->assertSame('hit', self::status(Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']])));
        $this->assertSame('bypass', self::status(Site::get($post['path'], ['cookies' => $cookie + ['rp_persona' => 'family']])));
        $this->assertSame($runs + 3, Site::slow_runs(), 'the bypassed views rendered, the hit did not');
    }

    public function testAPageThatDefinesDoNotCachePageIsNeverStored(): void
    {
        $post = self::post('[rp_donotcache]<p class="persona-family">no cache</p>[rp_slow ms="1"]');
        $runs = Site::slow_runs();
        for ($i = 0; $i < 3; $i++) {
            $page = Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']]);
            $this->assertSame(200, $page['status']);
            $this->assertStringContainsString('private page', $page['body']);
            $this->assertSame('bypass', self::status($page), "view $i");
        }
        $this->assertSame($runs + 3, Site::slow_runs(), 'every view rendered');
        $cached = Site::wp(sprintf(
            'echo wp_json_encode(RedisPersona\WordPress\Plugin::instance()->backend()->run(fn ($s) => $s->cached_personas(%d)));',
            $post['id']
        ));
        $this->assertSame('[]', trim($cached), 'no variant of it is stored');
        // Out of later "warm all" batches: a DONOTCACHEPAGE render ends its batch.
        Site::rest('DELETE', 'wp/v2/posts/' . $post['id'], ['force' => true], ['auth' => Site::admin()]);
    }

    public function testWarmAllRendersAsAnAnonymousVisitorWhoeverStartsIt(): void
    {
        $post = self::post('[rp_whoami]<p class="persona-family">warm me</p>');
        // One batch holds every post, so the admin's own request renders this one.
        Site::wp('delete_option("redis_persona_preload_queue"); update_option("rp_sandbox_preload_batch", 1000);');
        try {
            $started = Site::rest('POST', 'redis-persona/v1/cache/warm', [], ['auth' => Site::admin()]);
            $this->assertSame(202, $started['status'], $started['body']);
            $this->assertSame(0, $started['json']['queued'], 'rendered in the request');
        } finally {
            Site::wp('delete_option("rp_sandbox_preload_batch");');
        }
        Site::run_cron();
        $page = Site::get($post['path'], ['cookies' => ['rp_persona' => 'family']]);
        $this->assertSame('hit', self::status($page));
        $this->assertStringContainsString('anonymous', $page['body']);
        $this->assertStringNotContainsString('user:admin', $page['body']);
    }
}
