<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Http;
use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Every route refuses bad input with a 4xx and a JSON error: never a 5xx, a
 * PHP warning in the log (checked after each test), or a key outside the
 * plugin's namespace.
 */
final class HostileInputTest extends SiteTestCase
{
    /** @return iterable<string, array{0: string, 1: string, 2: mixed}> */
    public static function badRequests(): iterable
    {
        $day = gmdate('Y-m-d', time() + 10 * 86400);
        $good = ['date' => $day, 'time' => '10:00', 'resource' => 'room-1'];
        $token = str_repeat('b', 32);
        $hostile = [
            "room*", "{b1}", "room 1", "room\r\nx", "../x", str_repeat('r', 65), '', "room\0", 'rööm', "a'; DROP TABLE wp_posts; --",
        ];
        foreach ($hostile as $i => $resource) {
            yield "lock resource $i" => ['POST', 'slots/lock', ['resource' => $resource] + $good];
            yield "slots resource $i" => ['GET', 'slots?' . http_build_query(['date' => $day, 'resource' => $resource]), null];
            $query = http_build_query(['date' => $day, 'resource' => $resource]);
            yield "availability resource $i" => ['GET', 'availability?' . $query, null];
        }
        $dates = ['2031-02-30', '2031-13-01', '31-05-05', '2031-5-5', '1999-01-01', '3000-01-01', 'today', "$day\n", ''];
        // Real days outside the bookable window (today to +90 days).
        $dates[] = gmdate('Y-m-d', time() - 2 * 86400);
        $dates[] = gmdate('Y-m-d', time() + 200 * 86400);
        foreach ($dates as $i => $date) {
            yield "lock date $i" => ['POST', 'slots/lock', ['date' => $date] + $good];
            yield "availability date $i" => ['GET', 'availability?' . http_build_query(['date' => $date, 'resource' => 'room-1']), null];
        }
        foreach (['24:00', '9:00', '10:60', '10-00', '', '10:00:00'] as $i => $time) {
            yield "lock time $i" => ['POST', 'slots/lock', ['time' => $time] + $good];
        }
        yield 'lock owner too long' => ['POST', 'slots/lock', ['owner' => str_repeat('o', 65)] + $good];
        yield 'lock owner control chars' => ['POST', 'slots/lock', ['owner' => "x\r\ny"] + $good];
        yield 'lock ttl too long' => ['POST', 'slots/lock', ['ttl' => 999999] + $good];
        yield 'lock ttl negative' => ['POST', 'slots/lock', ['ttl' => -5] + $good];
        yield 'lock ttl string' => ['POST', 'slots/lock', ['ttl' => 'forever'] + $good];
        yield 'lock missing everything' => ['POST', 'slots/lock', []];
        yield 'lock arrays' => ['POST', 'slots/lock', ['date' => ['2031-05-05'], 'time' => ['x' => 1], 'resource' => [1]]];
        yield 'lock malformed json' => ['POST', 'slots/lock', '{"date": "2031-05-05", '];
        yield 'lock huge body' => ['POST', 'slots/lock', ['resource' => str_repeat('x', 1 << 20)] + $good];
        yield 'extend without token' => ['POST', 'slots/extend', $good];
        yield 'extend bad token' => ['POST', 'slots/extend', ['token' => 'abc*', 'ttl' => 60] + $good];
        yield 'unlock token injection' => ['DELETE', 'slots/lock', ['token' => "$token\r\nDEL *"] + $good];
        yield 'unlock token too long' => ['DELETE', 'slots/lock', ['token' => str_repeat('a', 65)] + $good];
        $identities = ['not-an-email', '', str_repeat('a', 250) . '@x.test', "a@b.test\r\nBcc: x@y.test", ['a@b.test'], 'a@b'];
        foreach ($identities as $i => $identity) {
            yield "otp request identity $i" => ['POST', 'otp/request', ['identity' => $identity]];
            yield "otp verify identity $i" => ['POST', 'otp/verify', ['identity' => $identity, 'code' => '123456']];
        }
        foreach (['12345a', '', '1', str_repeat('1', 11), ' 123456', '123456*', ['123456']] as $i => $code) {
            yield "otp verify code $i" => ['POST', 'otp/verify', ['identity' => 'x@example.test', 'code' => $code]];
        }
        yield 'stats days' => ['GET', 'stats?days=100000', null];
        yield 'unknown route' => ['GET', 'slots/nothing', null];
        yield 'wrong method' => ['PUT', 'slots/lock', $good];
    }

    /**
     * @dataProvider badRequests
     * @param mixed $body
     */
    public function testBadInputIsA4xx(string $method, string $route, $body): void
    {
        $auth = str_starts_with($route, 'stats') ? ['auth' => Site::admin()] : [];
        $response = Site::rest($method, 'redis-persona/v1/' . $route, $body, $auth + ['headers' => ['X-RP-Test-IP' => self::ip()]]);
        $this->assertGreaterThanOrEqual(400, $response['status'], $response['body']);
        $this->assertLessThan(500, $response['status'], $response['body']);
        $this->assertIsArray($response['json'], 'a JSON error body');
        $this->assertArrayHasKey('code', $response['json']);
    }

    public function testNoKeyLeavesTheNamespace(): void
    {
        if (Site::mode() !== 'redis') {
            $this->markTestSkipped('Redis mode only');
        }
        $health = Site::rest('GET', 'redis-persona/v1/health', null, ['auth' => Site::admin()]);
        $prefix = $health['json']['prefix'];
        // Something of each kind exists, whatever earlier tests did to Redis.
        Site::get('/rp-slow/', ['cookies' => ['rp_persona' => 'family']]);
        $slot = ['date' => gmdate('Y-m-d', time() + 7 * 86400), 'time' => '10:00', 'resource' => 'ns-' . bin2hex(random_bytes(4))];
        Site::rest('POST', 'redis-persona/v1/slots/lock', $slot, ['headers' => ['X-RP-Test-IP' => self::ip()]]);
        $keys = Site::redis_keys();
        $this->assertNotEmpty($keys);
        foreach ($keys as $key) {
            $this->assertStringStartsWith($prefix . ':', $key);
        }
    }

    public function testPublicHealthShowsOnlyStatusAndMode(): void
    {
        $public = Site::rest('GET', 'redis-persona/v1/health', null, ['headers' => ['X-RP-Test-IP' => self::ip()]]);
        $this->assertSame(200, $public['status']);
        $this->assertSame(['status', 'mode'], array_keys($public['json']));
        $this->assertSame(Site::mode(), $public['json']['mode']);
        $admin = Site::rest('GET', 'redis-persona/v1/health', null, ['auth' => Site::admin()]);
        $this->assertSame(200, $admin['status']);
        $this->assertArrayHasKey('reason', $admin['json']);
        if (Site::mode() === 'redis') {
            $this->assertSame('ok', $admin['json']['redis']['status']);
            $this->assertArrayHasKey('memory', $admin['json']['redis']);
        }
    }

    public function testParallelHostileRequestsDoNotBreakWorkers(): void
    {
        $requests = [];
        for ($i = 0; $i < 24; $i++) {
            $body = ['date' => 'x', 'time' => [], 'resource' => str_repeat('*', 200)];
            $requests[] = [Site::rest_url('redis-persona/v1/slots/lock'), Site::rest_options('POST', $body)];
        }
        foreach (Http::parallel($requests) as $response) {
            $this->assertSame(400, $response['status']);
        }
        $this->assertSame(200, Site::get('/lakeside-welcome/')['status']);
    }
}
