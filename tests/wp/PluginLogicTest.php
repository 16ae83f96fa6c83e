<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * The plugin's logic, run inside the real WordPress of the test site (its
 * database, its settings) with no web server in between and no mocks:
 * settings parsing and sanitising, the visitor's persona, policy filters,
 * REST argument validation (dispatched in-process) and client addresses.
 */
final class PluginLogicTest extends SiteTestCase
{
    /** @return mixed the JSON that $php echoes inside WordPress */
    private static function in_wordpress(string $php)
    {
        $out = Site::wp('use RedisPersona\WordPress\{Config, Persona, Policy, ClientAddress}; ' . $php);
        $decoded = json_decode($out, true);
        if ($decoded === null) {
            throw new \RuntimeException("the snippet printed no JSON: $out");
        }
        return $decoded;
    }

    public function testPersonasParseFromTextAndListsAndDropBadSlugs(): void
    {
        [$text, $list, $many] = self::in_wordpress(<<<'PHP'
            $many = [];
            for ($i = 0; $i < 100; $i++) {
                $many[] = 'p' . $i;
            }
            echo wp_json_encode([
                Config::parse_personas('family: Families, solo, Bad Slug: x, biz:<b>Business</b>'),
                Config::parse_personas(['a', 'b' => 'Bee', 3, 'UPPER' => 'x']),
                count(Config::parse_personas($many)) === Policy::MAX_PERSONAS,
            ]);
            PHP);
        $this->assertSame(['family' => 'Families', 'solo' => 'Solo', 'biz' => 'Business'], $text, 'labels lose their tags');
        $this->assertSame(['a' => 'A', 'b' => 'Bee'], $list);
        $this->assertTrue($many, 'at most Policy::MAX_PERSONAS');
    }

    public function testSanitisingRefusesBadValuesAndKeepsGoodOnes(): void
    {
        [$bad, $good] = self::in_wordpress(<<<'PHP'
            echo wp_json_encode([
                Config::sanitize([
                    'ttl' => '-5', 'url' => 'http://x', 'cookie' => 'a b', 'default_persona' => 'nope', 'disabled' => '1',
                ]),
                Config::sanitize(['ttl' => '999999999', 'url' => 'redis://h:1/2', 'cookie' => 'rp_x']),
            ]);
            PHP);
        $this->assertSame('', $bad['url'], 'only redis://, rediss:// and unix:///');
        $this->assertSame('rp_persona', $bad['cookie'], 'a cookie name with a space falls back');
        $this->assertSame('everyone', $bad['default_persona'], 'the default must be one of the personas');
        $this->assertTrue($bad['disabled']);
        $this->assertGreaterThan(0, $bad['ttl']);
        $this->assertSame('redis://h:1/2', $good['url']);
        $this->assertSame('rp_x', $good['cookie']);
        $this->assertLessThan(999999999, $good['ttl'], 'the lifetime is capped');
        $this->assertFalse($good['disabled']);
    }

    public function testThePersonaComesFromACookieOrTheDefaultAndTheFilterMayOnlyPickAConfiguredOne(): void
    {
        $seen = self::in_wordpress(<<<'PHP'
            $config = new Config();
            $persona = static function (?string $cookie) use ($config): string {
                unset($_COOKIE[$config->cookie()]);
                if ($cookie !== null) {
                    $_COOKIE[$config->cookie()] = $cookie;
                }
                return (new Persona($config))->current();
            };
            $out = [$persona(null), $persona(' FAMILY '), $persona('nobody'), $persona('fam ily')];
            add_filter('redis_persona_current', fn () => 'not-a-persona');
            $out[] = $persona('family');
            add_filter('redis_persona_current', fn () => 'business', 20);
            $out[] = $persona('family');
            $out[] = (new Persona($config))->with('solo', fn () => 'inside');
            echo wp_json_encode($out);
            PHP);
        $this->assertSame(['solo', 'family', 'solo', 'solo', 'family', 'business', 'inside'], $seen);
    }

    public function testPolicyFiltersAreClamped(): void
    {
        $policy = self::in_wordpress(<<<'PHP'
            $out = [];
            add_filter('redis_persona_rate_limit', fn () => [0, 0]);
            $out[] = Policy::rate_limit('rest-read');
            add_filter('redis_persona_rate_limit', fn () => 'junk', 20);
            $out[] = Policy::rate_limit('rest-read') === Policy::RATE_LIMITS['rest-read'];
            add_filter('redis_persona_max_hold_seconds', fn () => 10 ** 9);
            $out[] = Policy::max_hold_seconds() === Policy::HOLD_MAX_TTL;
            add_filter('redis_persona_max_hold_seconds', fn () => -1, 20);
            $out[] = Policy::max_hold_seconds() === Policy::HOLD_MIN_TTL;
            add_filter('redis_persona_booking_window', fn () => 10 ** 9);
            $out[] = Policy::booking_window_days();
            add_filter('redis_persona_max_holds', fn () => -3);
            $out[] = Policy::max_holds();
            echo wp_json_encode($out);
            PHP);
        $this->assertSame([[0, 1], true, true, true, 3650, 0], $policy);
    }

    public function testRestArgumentsAreValidatedBeforeAnyRouteRuns(): void
    {
        $statuses = self::in_wordpress(<<<'PHP'
            $ahead = (new DateTimeImmutable('today', wp_timezone()))->modify('+3 days')->format('Y-m-d');
            $slot = ['date' => $ahead, 'resource' => 'room-1', 'time' => '09:00'];
            $cases = [
                ['GET', '/redis-persona/v1/availability', ['date' => $ahead . "\n", 'resource' => 'room-1']],
                ['GET', '/redis-persona/v1/availability', ['date' => '2031-02-30', 'resource' => 'room-1']],
                ['GET', '/redis-persona/v1/availability', ['date' => '2001-01-01', 'resource' => 'room-1']],
                ['GET', '/redis-persona/v1/availability', ['date' => $ahead, 'resource' => 'room 1']],
                ['POST', '/redis-persona/v1/slots/lock', ['time' => '9:00'] + $slot],
                ['POST', '/redis-persona/v1/slots/lock', $slot + ['ttl' => 1]],
                ['POST', '/redis-persona/v1/slots/extend', $slot + ['token' => 'short']],
                ['POST', '/redis-persona/v1/otp/verify', ['identity' => 'someone@example.com', 'code' => '12ab']],
                ['POST', '/redis-persona/v1/otp/request', ['identity' => 'not an email']],
                ['GET', '/redis-persona/v1/stats', ['days' => 91]],
            ];
            $out = [];
            foreach ($cases as [$method, $route, $params]) {
                $request = new WP_REST_Request($method, $route);
                foreach ($params as $name => $value) {
                    $request->set_param($name, $value);
                }
                $response = rest_do_request($request);
                $out[] = [$response->get_status(), $response->get_data()['code'] ?? ''];
            }
            echo wp_json_encode($out);
            PHP);
        $this->assertSame(array_fill(0, 10, [400, 'rest_invalid_param']), $statuses);
    }

    public function testClientAddressesAndLimitKeys(): void
    {
        $addresses = self::in_wordpress(<<<'PHP'
            $_SERVER['REMOTE_ADDR'] = '203.0.113.9';
            $_SERVER['HTTP_X_FORWARDED_FOR'] = '198.51.100.1';
            $out = [ClientAddress::ip()];
            $_SERVER['REMOTE_ADDR'] = 'bogus';
            $out[] = ClientAddress::ip();
            $out[] = ClientAddress::limit_key('2001:db8:1:2:3:4:5:6');
            $out[] = ClientAddress::limit_key('10.1.2.3');
            $out[] = ClientAddress::in_range('10.1.2.3', '10.0.0.0/8');
            $out[] = ClientAddress::in_range('10.1.2.3', '10.0.0.0/33');
            $out[] = ClientAddress::in_range('::1', '10.0.0.0/8');
            $out[] = ClientAddress::in_range('2001:db8::1', '2001:db8::/32');
            add_filter('redis_persona_client_ip', fn () => '192.0.2.7');
            $out[] = ClientAddress::ip();
            echo wp_json_encode($out);
            PHP);
        $this->assertSame([
            '203.0.113.9', // no trusted proxies: X-Forwarded-For is ignored
            '0.0.0.0',
            '2001:db8:1:2::/64',
            '10.1.2.3',
            true,
            false,
            false,
            true,
            '192.0.2.7',
        ], $addresses);
    }
}
