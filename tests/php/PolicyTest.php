<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Otp;
use RedisPersona\PageCache;
use RedisPersona\PersonaCache;
use RedisPersona\Policy;
use RedisPersona\RateLimiter;
use RedisPersona\SlotLock;
use RedisPersona\Tests\Support\RedisTestCase;

/** Policy::defaults() is the policy the classes actually apply. */
final class PolicyTest extends RedisTestCase
{
    public function testDefaultsAreNestedByFeature(): void
    {
        $policy = Policy::defaults();
        $this->assertSame(['cache', 'page', 'slot', 'otp', 'rate_limit', 'persona', 'keys'], array_keys($policy));
        $this->assertSame(['default' => 3600, 'min' => 1, 'max' => 2592000], $policy['page']['ttl']);
        $this->assertSame(['default' => 86400, 'min' => 1, 'max' => 2592000], $policy['page']['stale_ttl']);
        $this->assertSame(4 * 1024 * 1024, $policy['page']['max_bytes']['default']);
        $this->assertSame(30000, $policy['page']['lease_ms']['default']);
        $this->assertSame(2000, $policy['page']['wait_ms']['default']);
        $this->assertSame(['default' => 600, 'min' => 1, 'max' => 86400], $policy['slot']['ttl']);
        $this->assertSame(
            ['ttl', 'digits', 'max_attempts', 'issue_limit', 'issue_window'],
            array_slice(array_keys($policy['otp']), 0, 5)
        );
        $this->assertSame(['default' => 6, 'min' => 4, 'max' => 10], $policy['otp']['digits']);
        $this->assertSame('gcra', $policy['rate_limit']['algorithm']);
        $this->assertSame(2592000, $policy['keys']['max_ttl']);
        $this->assertSame(['default' => 604800, 'min' => 1, 'max' => 2592000], $policy['cache']['ttl']);
        $this->assertSame(Policy::defaults(), $policy, 'pure');
    }

    public function testTheClassesApplyThePolicy(): void
    {
        $policy = Policy::defaults();
        $client = self::$redis->client(['prefix' => 'pol']);
        $otp = $policy['otp'];
        $code = (new Otp($client, str_repeat('s', $otp['min_secret_bytes'])))->issue('a@example.org');
        $this->assertSame($otp['digits']['default'], strlen($code));
        $lock = (new SlotLock($client))->acquire('2026-12-24', '10:00', 'r', 'o');
        $this->assertEqualsWithDelta(microtime(true) + $policy['slot']['ttl']['default'], $lock['expires_at'], 5);
        $this->assertTrue((new SlotLock($client))->acquire('2026-12-24', '10:01', 'r', 'o', $policy['slot']['ttl']['max']) !== null);

        $cache = new PersonaCache($client);
        $locks = new SlotLock($client);
        $this->assertMatchesRegularExpression($policy['persona']['pattern'], str_repeat('a', $policy['persona']['max_bytes']));
        $this->assertNull($cache->get(1, str_repeat('a', $policy['persona']['max_bytes'])));
        $limit = $policy['rate_limit']['limit']['max'];
        $this->assertTrue((new RateLimiter($client, 'x', $limit, 1))->attempt('k')['allowed']);

        $cases = [
            "options['digits']" => fn () => new Otp($client, str_repeat('s', 32), ['digits' => $otp['digits']['max'] + 1]),
            "options['issue_limit']" => fn () => new Otp($client, str_repeat('s', 32), ['issue_limit' => $otp['issue_limit']['max'] + 1]),
            'secret' => fn () => new Otp($client, str_repeat('s', $otp['min_secret_bytes'] - 1)),
            'ttl' => fn () => $locks->acquire('2026-12-24', '10:02', 'r', 'o', $policy['slot']['ttl']['max'] + 1),
            'owner' => fn () => $locks->acquire('2026-12-24', '10:02', 'r', str_repeat('o', $policy['slot']['max_owner_bytes'] + 1)),
            'minFence' => fn () => $locks->acquire('2026-12-24', '10:02', 'r', 'o', null, $policy['slot']['min_fence']['max'] + 1),
            'limit' => fn () => new RateLimiter($client, 'x', $limit + 1, 1),
            'windowSeconds' => fn () => new RateLimiter($client, 'x', 1, $policy['rate_limit']['window']['max'] + 1),
            'persona' => fn () => $cache->get(1, str_repeat('a', $policy['persona']['max_bytes'] + 1)),
            "options['lock_ttl_ms']" => fn () => new PersonaCache($client, ['lock_ttl_ms' => $policy['cache']['lock_ttl_ms']['max'] + 1]),
            "options['ttl']" => fn () => new PersonaCache($client, ['ttl' => $policy['cache']['ttl']['max'] + 1]),
            "options['lease_ms']" => fn () => new PageCache($client, ['lease_ms' => $policy['page']['lease_ms']['max'] + 1]),
            "options['wait_ms']" => fn () => new PageCache($client, ['wait_ms' => $policy['page']['wait_ms']['max'] + 1]),
            "options['max_bytes']" => fn () => new PageCache($client, ['max_bytes' => $policy['page']['max_bytes']['max'] + 1]),
        ];
        $this->assertEachRefusesItsArgument($cases);
    }
}
