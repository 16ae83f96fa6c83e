<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

final class InvalidationTest extends SiteTestCase
{
    private static function status(array $response): string
    {
        $status = trim(explode(';', ($response['headers']['x-redis-persona'] ?? '') . ';')[1]);
        return $status === 'fallback' ? ($response['headers']['x-redis-persona-fallback'] ?? '') : $status;
    }

    /** @return array{id: int, path: string} */
    private static function create_post(string $content, array $extra = []): array
    {
        $created = Site::rest('POST', 'wp/v2/posts', [
            'title' => 'Invalidation ' . bin2hex(random_bytes(4)),
            'status' => 'publish',
            'content' => $content,
        ] + $extra, ['auth' => Site::admin()]);
        self::assertSame(201, $created['status'], $created['body']);
        return ['id' => $created['json']['id'], 'path' => (string) parse_url($created['json']['link'], PHP_URL_PATH)];
    }

    public function testAnEditThroughRestIsVisibleToTheNextVisitorOfEveryPersona(): void
    {
        $post = self::create_post('[persona is="family"]<p class="persona-family">old family</p>[/persona]'
            . '[persona is="solo"]<p class="persona-solo">old solo</p>[/persona]');
        foreach (['family', 'solo'] as $persona) {
            Site::get($post['path'], ['cookies' => ['rp_persona' => $persona]]);
            $cached = Site::get($post['path'], ['cookies' => ['rp_persona' => $persona]]);
            $this->assertSame('hit', self::status($cached));
            $this->assertStringContainsString("old $persona", $cached['body']);
        }
        $updated = Site::rest('POST', 'wp/v2/posts/' . $post['id'], [
            'content' => '[persona is="family"]<p class="persona-family">new family</p>[/persona]'
                . '[persona is="solo"]<p class="persona-solo">new solo</p>[/persona]',
        ], ['auth' => Site::admin()]);
        $this->assertSame(200, $updated['status'], $updated['body']);
        foreach (['family', 'solo'] as $persona) {
            $fresh = Site::get($post['path'], ['cookies' => ['rp_persona' => $persona]]);
            $this->assertStringContainsString("new $persona", $fresh['body']);
            $this->assertStringNotContainsString("old $persona", $fresh['body']);
        }
    }

    public function testCronPreloadsEveryPersonaAfterAnEdit(): void
    {
        $post = self::create_post('[rp_slow ms="10"]<p>v1</p>');
        Site::run_cron();
        Site::rest('POST', 'wp/v2/posts/' . $post['id'], ['content' => '[rp_slow ms="10"]<p>v2</p>'], ['auth' => Site::admin()]);
        // (The REST response itself renders the content once, uncached.)
        $runs = Site::slow_runs();
        Site::run_cron();
        $this->assertSame($runs + 3, Site::slow_runs(), 'one render per persona, once (deduplicated)');
        foreach (['family', 'solo', 'business'] as $persona) {
            $page = Site::get($post['path'], ['cookies' => ['rp_persona' => $persona]]);
            $this->assertSame('hit', self::status($page), $persona);
            $this->assertStringContainsString('<p>v2</p>', $page['body']);
        }
        $this->assertSame($runs + 3, Site::slow_runs());
    }

    public function testAnEditDuringItsOwnPreloadNeverLeavesPreEditHtml(): void
    {
        $post = self::create_post('<p>v1</p>');
        // The preload queued by the publish renders v1; the edit lands in the middle of that render.
        Site::wp(sprintf('update_option("rp_sandbox_edit_during_render", [%d, "<p>v2</p>"]);', $post['id']));
        Site::run_cron();
        $this->assertSame('', trim(Site::wp('echo get_option("rp_sandbox_edit_during_render") ? "pending" : "";')), 'the edit happened');
        foreach (['family', 'solo', 'business'] as $persona) {
            $page = Site::get($post['path'], ['cookies' => ['rp_persona' => $persona]]);
            $this->assertStringContainsString('<p>v2</p>', $page['body'], $persona);
            $this->assertStringNotContainsString('<p>v1</p>', $page['body'], $persona);
            $this->assertSame('hit', self::status($page), "$persona: preloaded again after the edit");
        }
    }

    public function testAFailedPreloadIsRetriedWithBackoff(): void
    {
        $post = self::create_post('<p>retry me</p>');
        $id = $post['id'];
        Site::wp("update_option('rp_sandbox_fail_render', [$id]);");
        $queue = static fn (): array => json_decode(Site::wp(
            "echo wp_json_encode(get_option('redis_persona_preload_queue', []));"
        ), true) ?: [];
        try {
            Site::run_cron();
            $entry = $queue()[$id] ?? null;
            $this->assertNotNull($entry, 'the failed post stays queued');
            $this->assertSame(1, $entry['attempts']);
            $this->assertEqualsWithDelta(time() + 30, $entry['not_before'], 5, 'first retry after 30 s');
            Site::run_cron();
            $this->assertSame(1, $queue()[$id]['attempts'], 'not retried before its time');
        } finally {
            Site::wp("delete_option('rp_sandbox_fail_render');");
        }
        // Time passes: the retry is due now.
        Site::wp(<<<PHP
            \$queue = get_option('redis_persona_preload_queue');
            \$queue[$id]['not_before'] = 0;
            update_option('redis_persona_preload_queue', \$queue, false);
            wp_clear_scheduled_hook('redis_persona_preload');
            wp_schedule_single_event(time(), 'redis_persona_preload');
            PHP);
        Site::run_cron();
        $this->assertArrayNotHasKey($id, $queue());
        $this->assertSame('hit', self::status(Site::get($post['path'])));
    }

    public function testEditingATermInvalidatesItsPosts(): void
    {
        $term = Site::rest('POST', 'wp/v2/categories', ['name' => 'Term ' . bin2hex(random_bytes(3))], ['auth' => Site::admin()]);
        $this->assertSame(201, $term['status'], $term['body']);
        $post = self::create_post('<p>in a term</p>', ['categories' => [$term['json']['id']]]);
        Site::get($post['path']);
        $this->assertSame('hit', self::status(Site::get($post['path'])));
        $edited = Site::rest('POST', 'wp/v2/categories/' . $term['json']['id'], ['description' => 'changed'], ['auth' => Site::admin()]);
        $this->assertSame(200, $edited['status'], $edited['body']);
        $this->assertSame('miss', self::status(Site::get($post['path'])));
    }

    public function testEditingAReusableBlockInvalidatesThePostsThatEmbedIt(): void
    {
        $block = Site::rest('POST', 'wp/v2/blocks', [
            'title' => 'Shared notice',
            'status' => 'publish',
            'content' => '<!-- wp:paragraph --><p class="notice">notice v1</p><!-- /wp:paragraph -->',
        ], ['auth' => Site::admin()]);
        $this->assertSame(201, $block['status'], $block['body']);
        $post = self::create_post('<!-- wp:block {"ref":' . $block['json']['id'] . '} /-->');
        $this->assertStringContainsString('notice v1', Site::get($post['path'])['body']);
        $this->assertSame('hit', self::status(Site::get($post['path'])));
        $updated = Site::rest('POST', 'wp/v2/blocks/' . $block['json']['id'], [
            'content' => '<!-- wp:paragraph --><p class="notice">notice v2</p><!-- /wp:paragraph -->',
        ], ['auth' => Site::admin()]);
        $this->assertSame(200, $updated['status'], $updated['body']);
        $page = Site::get($post['path']);
        $this->assertStringContainsString('notice v2', $page['body']);
        $this->assertStringNotContainsString('notice v1', $page['body']);
    }

    public function testWarmAllReportsProgressUntilEveryPostIsCached(): void
    {
        $started = Site::rest('POST', 'redis-persona/v1/cache/warm', null, ['auth' => Site::admin()]);
        $this->assertSame(202, $started['status'], $started['body']);
        $this->assertGreaterThanOrEqual(3, $started['json']['total']);
        $deadline = microtime(true) + 60;
        do {
            Site::run_cron();
            $progress = Site::rest('GET', 'redis-persona/v1/cache/warm', null, ['auth' => Site::admin()]);
            $this->assertSame(200, $progress['status']);
        } while ($progress['json']['running'] && microtime(true) < $deadline);
        $this->assertFalse($progress['json']['running'], 'warming finished within 60 s');
        $this->assertSame($progress['json']['total'], $progress['json']['done']);
        $runs = Site::slow_runs();
        foreach (['family', 'solo', 'business'] as $persona) {
            $this->assertSame('hit', self::status(Site::get('/rp-slow/', ['cookies' => ['rp_persona' => $persona]])));
        }
        $this->assertSame($runs, Site::slow_runs());
    }

    public function testCacheRoutesNeedTheCapability(): void
    {
        foreach ([['POST', 'cache/flush'], ['POST', 'cache/warm'], ['GET', 'cache/warm'], ['GET', 'stats']] as [$method, $route]) {
            $anonymous = Site::rest($method, 'redis-persona/v1/' . $route);
            $this->assertSame(401, $anonymous['status'], "$method $route");
            $wrong = Site::rest($method, 'redis-persona/v1/' . $route, null, ['auth' => ['admin', 'not the password']]);
            $this->assertContains($wrong['status'], [401, 403], "$method $route");
        }
        $stats = Site::rest('GET', 'redis-persona/v1/stats', null, ['auth' => Site::admin()]);
        $this->assertSame(200, $stats['status']);
        $this->assertSame(Site::mode(), $stats['json']['mode']);
        if (Site::mode() === 'redis') {
            $this->assertCount(7, $stats['json']['days']);
            $this->assertGreaterThan(0, array_sum(array_column($stats['json']['days'], 'hits')));
        }
    }
}
