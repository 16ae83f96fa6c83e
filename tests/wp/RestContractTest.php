<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * The REST controllers follow WordPress's contract: every route shows its
 * schema in discovery, and permission callbacks are `*_permissions_check`
 * methods of a controller with a `rest_base`.
 */
final class RestContractTest extends SiteTestCase
{
    private const ROUTES = [
        '/redis-persona/v1/health' => 'redis-persona-health',
        '/redis-persona/v1/stats' => 'redis-persona-stats',
        '/redis-persona/v1/cache/flush' => 'redis-persona-cache',
        '/redis-persona/v1/cache/warm' => 'redis-persona-cache',
        '/redis-persona/v1/slots' => 'redis-persona-slot',
        '/redis-persona/v1/slots/lock' => 'redis-persona-slot',
        '/redis-persona/v1/slots/extend' => 'redis-persona-slot',
        '/redis-persona/v1/availability' => 'redis-persona-availability',
        '/redis-persona/v1/otp/request' => 'redis-persona-otp',
        '/redis-persona/v1/otp/verify' => 'redis-persona-otp',
        '/redis-persona/v1/bookings' => 'redis-persona-bookings',
        '/redis-persona/v1/bookings/(?P<reference>RP-[0-9A-Z]{10})' => 'redis-persona-booking',
    ];

    public function testDiscoveryShowsEverySchema(): void
    {
        $index = Site::rest('GET', 'redis-persona/v1?context=help');
        $this->assertSame(200, $index['status'], $index['body']);
        $routes = $index['json']['routes'];
        $this->assertEqualsCanonicalizing(array_merge(['/redis-persona/v1'], array_keys(self::ROUTES)), array_keys($routes));
        foreach (self::ROUTES as $route => $title) {
            $schema = $routes[$route]['schema'] ?? null;
            $this->assertIsArray($schema, "$route has no schema in discovery");
            $this->assertSame($title, $schema['title'], $route);
            $this->assertSame('object', $schema['type'], $route);
            $this->assertNotEmpty($schema['properties'], $route);
        }
        $this->assertArrayHasKey('date', $routes['/redis-persona/v1/availability']['endpoints'][0]['args'], 'arguments are listed too');
        // GET /bookings answers {bookings, total}, and its schema says so.
        $list = $routes['/redis-persona/v1/bookings']['schema']['properties'];
        $this->assertSame('array', $list['bookings']['type'] ?? null);
        $this->assertArrayHasKey('reference', $list['bookings']['items']['properties']);
        $this->assertSame('integer', $list['total']['type'] ?? null);
    }

    public function testOptionsOnARouteAnswersItsSchema(): void
    {
        $options = Site::rest('OPTIONS', 'redis-persona/v1/slots/lock');
        $this->assertSame(200, $options['status'], $options['body']);
        $this->assertSame('redis-persona-slot', $options['json']['schema']['title']);
        $this->assertArrayHasKey('token', $options['json']['schema']['properties']);
    }

    public function testPermissionCallbacksArePermissionsChecksOfAControllerWithARestBase(): void
    {
        $found = json_decode(Site::wp(<<<'PHP'
            $found = [];
            foreach (rest_get_server()->get_routes('redis-persona/v1') as $route => $endpoints) {
                foreach ($endpoints as $endpoint) {
                    if (!is_array($endpoint) || !isset($endpoint['permission_callback'])) {
                        continue;
                    }
                    [$controller, $method] = $endpoint['permission_callback'];
                    $found[] = [$route, get_class($controller), $method, $controller instanceof WP_REST_Controller,
                        (new ReflectionProperty(WP_REST_Controller::class, 'rest_base'))->getValue($controller)];
                }
            }
            echo wp_json_encode($found);
            PHP), true);
        $this->assertNotEmpty($found);
        foreach ($found as [$route, $class, $method, $is_controller, $rest_base]) {
            $this->assertMatchesRegularExpression('/_permissions_check$/', $method, "$route: $class::$method");
            $this->assertTrue($is_controller, $route);
            $this->assertStringStartsWith('/redis-persona/v1/' . $rest_base, $route, "$class's rest_base");
            $this->assertNotSame('', $rest_base, $class);
        }
    }
}
