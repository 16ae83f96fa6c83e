<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\PageCache;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;

/**
 * A page rendered before an invalidation that affects it is never stored
 * after it; invalidations drop exactly the pages that showed what changed,
 * for every variant.
 */
final class PageFenceTest extends RedisTestCase
{
    private function tier(string $prefix): array
    {
        $client = self::$redis->client(['prefix' => $prefix]);
        return [new PageCache($client, ['wait_ms' => 20]), new Invalidator($client)];
    }

    private static function url(string $path): string
    {
        return "https://example.test/$path/";
    }

    /** Fetches (taking the lease), runs $between, then stores. */
    private function renderAcross(
        PageCache $pages,
        string $path,
        callable $between,
        array $posts,
        array $tags,
        string $variant = 'family'
    ): bool {
        $miss = $pages->fetch(self::url($path), $variant);
        $this->assertTrue($miss['render'], "$path $variant: no lease");
        $between();
        return $pages->store(self::url($path), $variant, $miss['fence'], 200, [], "<p>$path</p>", $posts, $tags);
    }

    public function testARenderBeforeAnInvalidationThatAffectsItIsNotStored(): void
    {
        [$pages, $inv] = $this->tier('pf1');
        $this->assertFalse($this->renderAcross($pages, 'post-12', fn () => $inv->invalidatePost(12), [12], []));
        $this->assertSame('miss', $pages->fetch(self::url('post-12'), 'family')['state']);
        $this->assertTrue($this->renderAcross($pages, 'post-13', fn () => $inv->invalidatePost(99), [13], ['home']), 'unrelated post');
        $this->assertFalse($this->renderAcross($pages, 'home', fn () => $inv->invalidateTag('home'), [1, 2], ['home']));
        $this->assertTrue($this->renderAcross($pages, 'feed', fn () => $inv->invalidateTag('home'), [1, 2], ['feed']), 'unrelated tag');
        $this->assertFalse($this->renderAcross($pages, 'f1', fn () => $inv->flush(), [], []), 'Invalidator::flush');
        $this->assertFalse($this->renderAcross($pages, 'f2', fn () => $pages->flush(), [], []), 'PageCache::flush');
        $this->assertFalse($this->renderAcross($pages, 'f3', fn () => $pages->purgeUrl(self::url('f3')), [], []), 'purgeUrl');
        $this->assertTrue($this->renderAcross($pages, 'f4', fn () => $pages->purgeUrl(self::url('f5')), [], []), 'another URL purged');
        // Dependents and tagged posts: the closure's posts are stamped too.
        $inv->dependsOn(20, [21]);
        $this->assertFalse($this->renderAcross($pages, 'post-20', fn () => $inv->invalidatePost(21), [20], []));
        $inv->tag(30, ['news']);
        $this->assertFalse($this->renderAcross($pages, 'post-30', fn () => $inv->invalidateTag('news'), [30], []));
        // Stamps are per bucket: every URL's bucket sees them.
        for ($i = 0; $i < 40; $i++) {
            $this->assertFalse($this->renderAcross($pages, "spread-$i", fn () => $inv->invalidatePost(40), [40], []), "spread-$i");
        }
    }

    public function testAForgedOrStaleFenceIsRefused(): void
    {
        [$pages] = $this->tier('pf2');
        $miss = $pages->fetch(self::url('old'), 'family');
        [$gen, $seen, $token] = explode('.', $miss['fence']);
        $old = sprintf('%s.%d.%s', $gen, (int) $seen - 601_000_000, $token);
        $this->assertFalse($pages->store(self::url('old'), 'family', $old, 200, [], 'x', [], []), 'older than 600 s');
        $future = sprintf('%s.%d.', $gen, (int) $seen + 60_000_000);
        $this->assertFalse($pages->store(self::url('old'), 'family', $future, 200, [], 'x', [], []), 'from the future');
        $other = sprintf('%d.%s.', (int) $gen + 2, $seen);
        $this->assertFalse($pages->store(self::url('old'), 'family', $other, 200, [], 'x', [], []), 'another generation');
        $this->assertSame('miss', $pages->fetch(self::url('old'), 'family')['state']);
        $this->assertTrue($pages->store(self::url('old'), 'family', sprintf('%s.%s.', $gen, $seen), 200, [], 'x', [], []));
    }

    public function testLosingTheStampsRefusesEveryFenceTakenBefore(): void
    {
        [$pages] = $this->tier('pf3');
        $miss = $pages->fetch(self::url('lost'), 'family');
        $admin = self::$redis->admin();
        for ($b = 0; $b < 16; $b++) {
            $admin->command('DEL', sprintf('pf3:pg:{b%02d}:s', $b)); // as eviction would
        }
        $this->assertFalse($pages->store(self::url('lost'), 'family', $miss['fence'], 200, [], 'x', [1], []));
    }

    /**
     * Restarts its own server's process (a cluster's equivalent is a
     * failover: tests/php/Cluster/).
     *
     * @group single-server
     */
    public function testARestartedRedisRefusesEveryFenceTakenBefore(): void
    {
        $redis = new RedisServer();
        $client = new Client($redis->url(), ['prefix' => 'pf3']);
        $restarted = new PageCache($client);
        $page = $restarted->fetch(self::url('r'), 'family');
        $this->assertTrue($restarted->store(self::url('r'), 'family', $page['fence'], 200, [], 'x', [], []));
        $before = $restarted->fetch(self::url('s'), 'family');
        $redis->restart(); // no persistence: everything is gone
        $after = null;
        for ($i = 0; $i < 3 && $after === null; $i++) {
            try {
                $this->assertFalse($restarted->store(self::url('s'), 'family', $before['fence'], 200, [], 'x', [], []));
                $after = $restarted->fetch(self::url('r'), 'family');
            } catch (\RedisPersona\ConnectionException $e) {
                usleep(100_000); // the first call after the restart may meet the dead connection
            }
        }
        $this->assertSame('miss', $after['state'] ?? null);
        $redis->stop();
    }

    public function testInvalidationsDropExactlyThePagesThatShowedThemForEveryVariant(): void
    {
        [$pages, $inv] = $this->tier('pf4');
        $layout = [
            'post-1' => [[1], []],
            'post-2' => [[2], ['term-5']],
            'home' => [[1, 2, 3], ['home']],
            'term-5' => [[2], ['term-5']],
            'feed' => [[3], ['feed']],
            'about' => [[], []],
        ];
        $variants = ['family', 'solo', 'kids'];
        foreach ($layout as $path => [$posts, $tags]) {
            foreach ($variants as $variant) {
                $this->assertTrue($this->renderAcross($pages, $path, fn () => null, $posts, $tags, $variant));
            }
        }
        $cached = function () use ($pages, $layout, $variants): array {
            $out = [];
            foreach (array_keys($layout) as $path) {
                $states = array_map(fn ($v) => $pages->fetch(self::url($path), $v)['state'], $variants);
                $out[$path] = implode(',', array_unique($states));
            }
            return $out;
        };
        $all = array_fill_keys(array_keys($layout), 'hit');
        $this->assertSame($all, $cached());
        $inv->invalidatePost(1);
        $this->assertSame(array_replace($all, ['post-1' => 'miss', 'home' => 'miss']), $cached());
        $inv->invalidateTag('term-5');
        $this->assertSame(array_replace($all, ['post-1' => 'miss', 'post-2' => 'miss', 'home' => 'miss', 'term-5' => 'miss']), $cached());
        $this->assertSame(array_replace($all, ['post-1' => 'miss', 'post-2' => 'miss', 'home' => 'miss', 'term-5' => 'miss']), $cached());
        $log = $inv->recent(2);
        $this->assertSame(['tag', 'term-5', 6], [$log[0]['type'], $log[0]['target'], $log[0]['pages']]);
        $this->assertSame(['post', '1', 6], [$log[1]['type'], $log[1]['target'], $log[1]['pages']]);
        $inv->flush();
        $this->assertSame(array_fill_keys(array_keys($layout), 'miss'), $cached());
    }

    public function testAnInvalidatedPageIsHiddenEvenWhenItsIndexWasLost(): void
    {
        [$pages, $inv] = $this->tier('pf5');
        $this->assertTrue($this->renderAcross($pages, 'post-7', fn () => null, [7], ['news-list']));
        $admin = self::$redis->admin();
        for ($b = 0; $b < 16; $b++) {
            $admin->command('DEL', sprintf('pf5:pg:{b%02d}:p:7', $b), sprintf('pf5:pg:{b%02d}:t:news-list', $b)); // evicted
        }
        $this->assertSame('hit', $pages->fetch(self::url('post-7'), 'family')['state']);
        $this->assertSame([7], $inv->invalidatePost(7));
        $this->assertSame('miss', $pages->fetch(self::url('post-7'), 'family')['state']);
        $this->assertTrue($this->renderAcross($pages, 'list', fn () => null, [], ['news-list']));
        $admin->command('DEL', ...array_map(fn ($b) => sprintf('pf5:pg:{b%02d}:t:news-list', $b), range(0, 15)));
        $inv->invalidateTag('news-list');
        $this->assertSame('miss', $pages->fetch(self::url('list'), 'family')['state']);
    }
}
