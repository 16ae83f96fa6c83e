<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * One contract, two stores: the same scenario runs inside WordPress against
 * the database fallback and (with the extension) the Redis store, and both
 * must give the same answers. This is what "the fallback keeps the same
 * guarantees" means, checked.
 */
final class StoreContractTest extends SiteTestCase
{
    /** @return iterable<string, array{0: string}> */
    public static function stores(): iterable
    {
        yield 'database fallback' => ['fallback'];
        yield 'Redis' => ['redis'];
    }

    /** @return mixed the JSON that $scenario echoes, run with $store bound to the store under test */
    private static function run_on(string $store, string $scenario, ?string $id = null)
    {
        $id ??= bin2hex(random_bytes(4));
        if ($store === 'redis' && Site::mode() !== 'redis') {
            self::markTestSkipped('the Redis store needs the extension');
        }
        $php = <<<PHP
            use RedisPersona\\WordPress\\{DatabaseRelations, FallbackStore, RedisRelations, RedisStore, StateTable, Policy};
            \$table = new StateTable();
            \$store = '$store' === 'redis'
                ? new RedisStore(RedisPersona\\WordPress\\Plugin::instance()->backend()->client(), \$table)
                : new FallbackStore(\$table);
            \$invalidations = '$store' === 'redis'
                ? new RedisRelations(RedisPersona\\WordPress\\Plugin::instance()->backend()->client())
                : new DatabaseRelations();
            \$id = '$id';
            PHP;
        $out = Site::wp($php . "\n" . $scenario);
        $decoded = json_decode($out, true);
        if ($decoded === null) {
            throw new \RuntimeException("scenario printed no JSON: $out");
        }
        return $decoded;
    }

    /** @dataProvider stores */
    public function testRateLimitingIsGcraWithTheSameAnswers(string $store): void
    {
        $attempts = self::run_on($store, <<<'PHP'
            $out = [];
            for ($i = 0; $i < 5; $i++) {
                $out[] = $store->attempt('contract-' . $id, 3, 60, 'client');
            }
            $out[] = $store->attempt('contract-' . $id, 3, 60, 'another client');
            echo wp_json_encode($out);
            PHP);
        $this->assertSame([true, true, true, false, false, true], array_column($attempts, 'allowed'));
        $this->assertSame([2, 1, 0, 0, 0, 2], array_column($attempts, 'remaining'));
        $this->assertSame([0, 0, 0], array_column(array_slice($attempts, 0, 3), 'retry_after'));
        // The next cell is one emission interval (60 s / 3) after the third.
        $this->assertEqualsWithDelta(20, $attempts[3]['retry_after'], 1);
        $this->assertSame($attempts[3]['retry_after'], $attempts[4]['retry_after'], 'a refusal does not count');
    }

    /** @dataProvider stores */
    public function testOneRowOrKeyPerLimitedClientWhateverItsTraffic(string $store): void
    {
        $id = bin2hex(random_bytes(4));
        // A GCRA key lives as long as its lead: one emission interval after
        // one attempt. With 1000 a day that is 86 s, so the key read after
        // the scenario's process exits is still there; with 1000 a minute it
        // was 60 ms, and a loaded machine read an expired key (0 keys).
        $redis_bytes = static function () use ($id): int {
            $keys = Site::redis_keys("*contract-$id*");
            $bytes = 0;
            foreach ($keys as $key) {
                $bytes += (int) Site::redis('MEMORY USAGE ' . escapeshellarg($key));
            }
            return count($keys) * 1000000 + $bytes;
        };
        $sizes = self::run_on($store, <<<'PHP'
            global $wpdb;
            $size = static function () use ($wpdb, $id): int {
                $t = StateTable::name();
                $bytes = 'COUNT(*) + COALESCE(SUM(LENGTH(value) + LENGTH(data)), 0)';
                return (int) $wpdb->get_var("SELECT $bytes FROM `$t` WHERE name LIKE 'rl:contract-$id:%'");
            };
            $store->attempt('contract-' . $id, 1000, 86400, 'client');
            echo wp_json_encode([$size()]);
            PHP, $id);
        $redis_after_one = $store === 'redis' ? $redis_bytes() : 0;
        $more = self::run_on($store, <<<'PHP'
            global $wpdb;
            for ($i = 0; $i < 300; $i++) {
                $store->attempt('contract-' . $id, 1000, 86400, 'client');
            }
            $t = StateTable::name();
            $bytes = 'COUNT(*) + COALESCE(SUM(LENGTH(value) + LENGTH(data)), 0)';
            echo wp_json_encode([(int) $wpdb->get_var("SELECT $bytes FROM `$t` WHERE name LIKE 'rl:contract-$id:%'")]);
            PHP, $id);
        if ($store === 'redis') {
            $this->assertGreaterThan(0, $redis_after_one, 'the limiter has its key');
            $this->assertSame($redis_after_one, $redis_bytes(), 'constant memory in Redis');
        } else {
            $this->assertGreaterThan(0, $sizes[0], 'the limiter has its row');
            $this->assertSame($sizes[0], $more[0], 'constant memory in the database');
        }
    }

    /** @dataProvider stores */
    public function testAWarmObservedBeforeAnInvalidationIsRefused(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $post = random_int(100000, 900000);
            $fence = $store->observe($post);
            $invalidations->invalidate_post($post);
            $stale = $store->warm($post, ['family' => '<p>old</p>'], 60, $fence);
            $fresh_fence = $store->observe($post);
            $fresh = $store->warm($post, ['family' => '<p>new</p>', 'solo' => '<p>new</p>'], 60, $fresh_fence);
            [$html, $status] = $store->remember($post, 'family', static fn () => '<p>rendered</p>', 60);
            echo wp_json_encode([$stale, $fresh, $html, $status]);
            PHP);
        $this->assertSame([0, 2, '<p>new</p>', 'hit'], $result);
    }

    /** @dataProvider stores */
    public function testADependentOrTaggedPostIsNeverServedAfterWhatItShowsChanged(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $page = random_int(100000, 900000);
            $block = $page + 1;
            $tagged = $page + 2;
            foreach ([$page, $tagged] as $post) {
                $store->warm($post, ['family' => "<p>old $post</p>"], 60, $store->observe($post));
            }
            $store->relate($page, [$block], []);
            $store->relate($tagged, [], ['contract-' . $id]);
            $invalidated = $invalidations->invalidate_post($block);
            $tag_invalidated = $invalidations->invalidate_tag('contract-' . $id);
            $rendered = [];
            foreach ([$page, $tagged] as $post) {
                [$html, $status] = $store->remember($post, 'family', static fn () => "<p>new $post</p>", 60);
                $rendered[] = [$html === "<p>new $post</p>", $status];
            }
            echo wp_json_encode([in_array($block, $invalidated, true), $rendered]);
            PHP);
        $this->assertTrue($result[0], 'the changed post itself is reported');
        $this->assertSame([[true, 'miss'], [true, 'miss']], $result[1], 'both re-render: nothing old is served');
    }

    /** @dataProvider stores */
    public function testValuesRoundTripAndExpire(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $key = 'contract:' . $id;
            $before = $store->value_get($key);
            $store->value_set($key, "bin\0ary \xff", 60);
            $stored = $store->value_get($key);
            $store->value_delete($key);
            echo wp_json_encode([$before, base64_encode((string) $stored), $store->value_get($key)]);
            PHP);
        $this->assertSame([null, base64_encode("bin\0ary \xff"), null], $result);
    }

    /** @dataProvider stores */
    public function testARenderReenteringItsOwnVariantDoesNotWaitForItself(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $post = random_int(100000, 900000);
            $started = microtime(true);
            [$html] = $store->remember($post, 'family', static function () use ($store, $post): string {
                [$inner] = $store->remember($post, 'family', static fn () => 'i', 60);
                return 'o+' . $inner;
            }, 60);
            echo wp_json_encode([$html, microtime(true) - $started]);
            PHP);
        $this->assertSame('o+i', $result[0]);
        $this->assertLessThan(1.0, $result[1], 'no wait for its own render lock');
    }

    /** @dataProvider stores */
    public function testOneHolderPerSlotAndFencesThatOnlyGoUp(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $date = gmdate('Y-m-d', time() + 5 * 86400);
            $resource = 'contract-' . $id;
            $first = $store->lock($date, '10:00', $resource, 'a', 60);
            $second = $store->lock($date, '10:00', $resource, 'b', 60);
            $wrong = $store->unlock($date, '10:00', $resource, str_repeat('x', 32));
            $released = $store->unlock($date, '10:00', $resource, $first['token']);
            $other = new FallbackStore($table);
            $via_fallback = $other->lock($date, '10:00', $resource, 'c', 60);
            $other->unlock($date, '10:00', $resource, $via_fallback['token']);
            $third = $store->lock($date, '10:00', $resource, 'd', 60);
            echo wp_json_encode([$second, $wrong, $released, $first['fence'], $via_fallback['fence'], $third['fence']]);
            PHP);
        [$second, $wrong, $released, $f1, $f2, $f3] = $result;
        $this->assertNull($second, 'held');
        $this->assertFalse($wrong, 'only the holder releases');
        $this->assertTrue($released);
        $this->assertGreaterThan($f1, $f2, 'the fallback goes above the store');
        $this->assertGreaterThan($f2, $f3, 'and the store above the fallback');
    }

    /** @dataProvider stores */
    public function testCodesVerifyOnceAndBurnAfterTheAttemptLimit(string $store): void
    {
        $result = self::run_on($store, <<<'PHP'
            $who = 'contract-' . $id . '@example.test';
            $next = static fn (string $c): string => str_pad((string) (((int) $c + 1) % 10 ** strlen($c)), strlen($c), '0', STR_PAD_LEFT);
            $code = $store->otp_issue($who);
            $ok = $store->otp_verify($who, $code);
            $replay = $store->otp_verify($who, $code);
            $burnt = $store->otp_issue($who . '.b');
            $tries = [];
            for ($i = 0; $i < Policy::otp()['max_attempts']; $i++) {
                $tries[] = $store->otp_verify($who . '.b', $next($burnt));
            }
            $after = $store->otp_verify($who . '.b', $burnt);
            $issued = [];
            for ($i = 0; $i < Policy::otp()['issue_limit'] + 1; $i++) {
                try {
                    $store->otp_issue($who . '.c');
                    $issued[] = true;
                } catch (RedisPersona\WordPress\LimitExceeded $e) {
                    $issued[] = $e->retry_after() > 0 ? 'limited' : 'limited without retry-after';
                }
            }
            echo wp_json_encode([strlen($code), $ok, $replay, array_unique($tries), $after, $issued]);
            PHP);
        $this->assertSame([6, true, false, [false], false, [true, true, true, 'limited']], $result);
    }

    public function testThePluginsPolicyIsTheExtensionsPolicy(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('compares with the loaded extension');
        }
        $both = json_decode(Site::wp(<<<'PHP'
            use RedisPersona\WordPress\Policy;
            $ext = RedisPersona\Policy::defaults();
            echo wp_json_encode([
                'plugin' => [
                    Policy::CACHE_TTL,
                    Policy::CACHE_STALE_TTL,
                    Policy::RENDER_LOCK_MS,
                    Policy::RENDER_WAIT_MS,
                    Policy::HOLD_TTL,
                    Policy::OTP,
                    Policy::PERSONA_PATTERN,
                    'gcra',
                ],
                'extension' => [
                    $ext['cache']['ttl']['default'],
                    $ext['cache']['stale_ttl']['default'],
                    $ext['cache']['lock_ttl_ms']['default'],
                    $ext['cache']['lock_wait_ms']['default'],
                    $ext['slot']['ttl']['default'],
                    array_map(static fn (array $o) => $o['default'], array_intersect_key($ext['otp'], Policy::OTP)),
                    $ext['persona']['pattern'] . 'D',
                    $ext['rate_limit']['algorithm'],
                ],
                'limits' => [Policy::HOLD_MAX_TTL <= $ext['slot']['ttl']['max'], Policy::CACHE_MAX_TTL <= $ext['keys']['max_ttl']],
            ]);
            PHP), true);
        $this->assertSame($both['extension'], $both['plugin']);
        $this->assertSame([true, true], $both['limits'], "the plugin's limits fit inside the extension's");
    }
}
