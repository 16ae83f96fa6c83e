<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\FuzzRequests;
use RedisPersona\WpTests\Support\FuzzSender;
use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Hostile-request fuzz of every route of the plugin's REST namespace, found
 * in the REST index so routes added later are fuzzed too: odd methods,
 * paths, query strings, JSON/form/junk bodies, cookies and credentials.
 * No request may get a 5xx or no answer, the site may log no PHP warning
 * (SiteTestCase checks after every test), and in Redis mode no key may leave
 * the plugin's prefix.
 *
 * Rate limits are lifted for the fuzz's requests by a sandbox header;
 * testRateLimitsEngageWithoutTheSwitch shows they apply without it.
 * `make test`: fixed seed, 1 000 requests per route; `make fuzz`: random
 * seed (printed) and more. RP_FUZZ_SEED and RP_FUZZ_COUNT replay or resize.
 */
final class FuzzTest extends SiteTestCase
{
    private const DEFAULT_SEED = 20261129;
    private const IN_FLIGHT = 8;

    public static function setUpBeforeClass(): void
    {
        // Loaded here rather than in bootstrap.php: only this test uses them.
        require_once __DIR__ . '/Support/FuzzRequests.php';
        require_once __DIR__ . '/Support/FuzzSender.php';
    }

    private static function seed(): int
    {
        $seed = getenv('RP_FUZZ_SEED');
        return is_string($seed) && $seed !== '' ? (int) $seed : self::DEFAULT_SEED;
    }

    private static function requests(): int
    {
        $count = getenv('RP_FUZZ_COUNT');
        return is_string($count) && $count !== '' ? max(1, (int) $count) : 1000;
    }

    /**
     * The namespace's routes as the REST index describes them.
     *
     * @return list<array{path: string, endpoints: list<array{methods: list<string>, args: array<string, mixed>}>}>
     */
    private static function routes(): array
    {
        $index = Site::rest('GET', 'redis-persona/v1');
        if ($index['status'] !== 200 || !is_array($index['json']['routes'] ?? null)) {
            throw new \RuntimeException('no REST index: ' . $index['status'] . ' ' . substr($index['body'], 0, 200));
        }
        $routes = [];
        foreach ($index['json']['routes'] as $path => $route) {
            if ($path === '/redis-persona/v1') {
                continue; // WordPress's own namespace index
            }
            $routes[] = ['path' => $path, 'endpoints' => $route['endpoints']];
        }
        return $routes;
    }

    public function testTheIndexListsTheDocumentedRoutes(): void
    {
        $paths = array_column(self::routes(), 'path');
        $documented = [
            'health', 'stats', 'cache/flush', 'cache/warm', 'slots', 'slots/lock', 'slots/extend', 'availability',
            'otp/request', 'otp/verify', 'bookings',
        ];
        foreach ($documented as $route) {
            $this->assertContains("/redis-persona/v1/$route", $paths);
        }
    }

    public function testEveryRouteSurvivesHostileRequests(): void
    {
        $seed = self::seed();
        $perRoute = self::requests();
        $failures = [];
        $sent = [];
        $statuses = [];
        $routes = self::routes();
        $requests = (static function () use ($routes, $seed, $perRoute, &$sent) {
            mt_srand($seed);
            $generators = array_map(fn ($route) => new FuzzRequests($route), $routes);
            // Interleaved, so that no route's requests all arrive together.
            for ($i = 0; $i < $perRoute; $i++) {
                foreach ($generators as $r => $generator) {
                    $sent[$routes[$r]['path']] = ($sent[$routes[$r]['path']] ?? 0) + 1;
                    yield $generator->next();
                }
            }
        })();
        $check = static function (int $status, string $body, string $error, string $request) use (&$failures, &$statuses): void {
            $statuses[$status] = ($statuses[$status] ?? 0) + 1;
            if ($status === 0 || $status >= 500) {
                $answer = $status === 0 ? "no answer ($error)" : "$status " . substr($body, 0, 300);
                $failures[] = "$answer ← $request";
            }
        };
        FuzzSender::send($requests, self::IN_FLIGHT, $check);
        ksort($statuses);
        foreach ($routes as $route) {
            $this->assertGreaterThanOrEqual($perRoute, $sent[$route['path']] ?? 0, $route['path']);
        }
        $this->assertSame([], array_slice($failures, 0, 30), sprintf(
            '%d of %d requests failed (seed %d; replay with RP_FUZZ_SEED=%d); statuses %s',
            count($failures),
            array_sum($statuses),
            $seed,
            $seed,
            json_encode($statuses)
        ));
        if (Site::mode() === 'redis') {
            $this->assertSame([], self::keysOutsidePrefix(), 'keys outside the plugin prefix after the fuzz');
        }
    }

    /** Without the sandbox switch, the 31st verification from one address in 10 minutes is refused. */
    public function testRateLimitsEngageWithoutTheSwitch(): void
    {
        $ip = self::ip();
        $verify = ['identity' => 'limit@example.test', 'code' => '000000'];
        $send = static function (array $headers) use ($verify): array {
            $requests = [];
            for ($i = 0; $i < 31; $i++) {
                $options = ['method' => 'POST', 'body' => $verify, 'headers' => $headers];
                $requests[] = [Site::rest_url('redis-persona/v1/otp/verify'), $options, ''];
            }
            $statuses = [];
            FuzzSender::send($requests, 4, function (int $status) use (&$statuses): void {
                $statuses[] = $status;
            });
            return $statuses;
        };
        $lifted = $send(['X-RP-Test-IP' => $ip] + FuzzRequests::UNLIMITED);
        $this->assertNotContains(429, $lifted, 'the switch lifts the limit');
        $limited = $send(['X-RP-Test-IP' => $ip]);
        $this->assertContains(429, $limited, 'the limit applies without the switch');
    }

    /** @return list<string> */
    private static function keysOutsidePrefix(): array
    {
        $health = Site::rest('GET', 'redis-persona/v1/health', null, ['auth' => Site::admin()]);
        $prefix = (string) ($health['json']['prefix'] ?? '');
        if ($prefix === '') {
            return ['the admin health route shows no prefix'];
        }
        $keys = Site::redis_keys();
        return array_values(array_filter($keys, fn ($key) => !str_starts_with($key, $prefix . ':')));
    }
}
