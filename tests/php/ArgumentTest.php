<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

/**
 * Arguments follow PHP's rules for internal functions; bad input is a clear
 * exception, never a crash, a warning or a key outside the namespace.
 */
final class ArgumentTest extends RedisTestCase
{
    public function testCoerciveModeConvertsScalarsAndStringables(): void
    {
        $client = self::$redis->client();
        $this->assertTrue($client->set(123, 456));
        $this->assertSame('456', $client->get('123'));
        $client->set('f', 1.5, '60');
        $this->assertSame('1.5', $client->get('f'));
        $client->set('b', true, 60.0);
        $this->assertSame('1', $client->get('b'));
        $stringable = new class {
            public function __toString(): string
            {
                return "obj\0ect";
            }
        };
        $client->set('o', $stringable);
        $this->assertSame("obj\0ect", $client->get('o'));
    }

    public function testStrictTypesRejectsWhatCoerciveModeAccepts(): void
    {
        $result = PhpProcess::run(__DIR__ . '/fixtures/strict-calls.php', [self::$redis->target()], self::$redis->childIni());
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $this->assertSame('', $result['stderr']);
        $this->assertSame(
            [
                'set(123, "v")' => 'TypeError: RedisPersona\Client::set(): Argument #1 ($key) must be of type string, int given',
                'set("k", "v", "60")' => 'TypeError: RedisPersona\Client::set(): Argument #3 ($ttl) must be of type int, string given',
                'set("k", 1.5)' => 'TypeError: RedisPersona\Client::set(): Argument #2 ($value) must be of type string, float given',
                'set("k", "v", 60)' => 'ok',
            ],
            json_decode($result['stdout'], true)
        );
    }

    /** @return array<string, array{0: callable(Client): mixed, 1: class-string, 2: string}> */
    public function badInput(): array
    {
        return [
            'empty key' => [fn (Client $c) => $c->get(''), \ValueError::class, 'key: must be 1 to 200'],
            'huge key' => [fn (Client $c) => $c->get(str_repeat('k', 201)), \ValueError::class, 'key: must be 1 to 200'],
            'glob key' => [fn (Client $c) => $c->get('a*'), \ValueError::class, 'key: may only contain'],
            'CRLF key' => [fn (Client $c) => $c->set("x\r\nFLUSHALL", 'v'), \ValueError::class, 'key: may only contain'],
            'brace key' => [fn (Client $c) => $c->get('{tag}'), \ValueError::class, 'key: may only contain'],
            'NUL key' => [fn (Client $c) => $c->get("a\0b"), \ValueError::class, 'key: may only contain'],
            'array key' => [
                fn (Client $c) => $c->get([]),
                \TypeError::class,
                'RedisPersona\Client::get(): Argument #1 ($key) must be of type string, array given',
            ],
            'null key' => [fn (Client $c) => $c->get(null), \TypeError::class, 'Argument #1 ($key) must be of type string, null given'],
            'object key' => [
                fn (Client $c) => $c->get(new \stdClass()),
                \TypeError::class,
                'Argument #1 ($key) must be of type string, stdClass given',
            ],
            'zero ttl' => [fn (Client $c) => $c->set('k', 'v', 0), \ValueError::class, 'ttl: must be between 1'],
            'huge ttl' => [fn (Client $c) => $c->set('k', 'v', PHP_INT_MAX), \ValueError::class, 'ttl: must be between 1'],
            'fraction ttl' => [fn (Client $c) => $c->set('k', 'v', 1.5), \TypeError::class, '($ttl) must be of type int, float given'],
            'word ttl' => [fn (Client $c) => $c->set('k', 'v', 'soon'), \TypeError::class, '($ttl) must be of type int, string given'],
            'null ttl' => [fn (Client $c) => $c->set('k', 'v', null), \TypeError::class, '($ttl) must be of type int, null given'],
            'huge value' => [
                fn (Client $c) => $c->set('k', str_repeat('x', 8 * 1024 * 1024 + 1)),
                \ValueError::class,
                'value: is 8388609 bytes',
            ],
            'unknown option' => [fn () => new Client(null, ['nope' => 1]), \ValueError::class, "options['nope']: unknown"],
            'bad timeout' => [
                fn () => new Client(null, ['read_timeout_ms' => 'soon']),
                \ValueError::class,
                "options['read_timeout_ms']: must be an integer",
            ],
            'negative pool' => [fn () => new Client(null, ['pool_size' => -1]), \ValueError::class, 'between 1 and 64'],
            'hostile prefix' => [fn () => new Client(null, ['prefix' => 'a*']), \ValueError::class, "options['prefix']"],
            'url with NUL' => [fn () => new Client("redis://h\0st"), \ValueError::class, 'url: '],
            'url and cluster' => [
                fn () => new Client('redis://127.0.0.1:1', ['cluster' => ['redis://127.0.0.1:2']]),
                \ValueError::class,
                'url: give either a url',
            ],
            'cluster database' => [
                fn () => new Client(null, ['cluster' => ['redis://127.0.0.1:2/3']]),
                \ValueError::class,
                "options['cluster'][0]: Redis Cluster only has database 0",
            ],
            'cluster and sentinel' => [
                fn () => new Client(null, ['cluster' => ['redis://127.0.0.1:2'], 'sentinel' => ['redis://127.0.0.1:3'], 'service' => 's']),
                \ValueError::class,
                "options['cluster']: give either",
            ],
            'sentinel without service' => [
                fn () => new Client(null, ['sentinel' => ['redis://127.0.0.1:2']]),
                \ValueError::class,
                "options['service']: is required with sentinels",
            ],
            'replicas of one server' => [
                fn () => new Client(null, ['read_from_replicas' => true]),
                \ValueError::class,
                "options['read_from_replicas']: needs a cluster or sentinels",
            ],
            'replicas as a word' => [
                fn () => new Client(null, ['cluster' => ['redis://127.0.0.1:2'], 'read_from_replicas' => 'yes']),
                \ValueError::class,
                "options['read_from_replicas']: must be a bool",
            ],
        ];
    }

    /**
     * @dataProvider badInput
     * @param callable(Client): mixed $call
     * @param class-string $class
     */
    public function testBadInputIsAClearException(callable $call, string $class, string $message): void
    {
        $before = (int) self::$redis->admin()->command('DBSIZE');
        $client = self::$redis->client(['prefix' => 'bad']);
        try {
            $call($client);
            $this->fail('no exception');
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e);
            $this->assertStringContainsString($message, $e->getMessage());
        }
        $this->assertSame($before, (int) self::$redis->admin()->command('DBSIZE'), 'bad input wrote a key');
    }

    /**
     * Every argument of every method of every class, given a value of the
     * wrong type, is refused with PHP's own wording: class, method, position,
     * name, expected and given type.
     */
    public function testTypeErrorsNameTheMethodArgumentAndTypesEverywhere(): void
    {
        $client = self::$redis->client(['prefix' => 'types']);
        $valid = [
            'string' => 'x',
            '?string' => null,
            'int' => 1,
            '?int' => null,
            'array' => [],
            'callable' => fn () => '',
            'bool' => false,
            Client::class => $client,
        ];
        $wrong = fn (string $type) => in_array($type, ['string', '?string', 'int', '?int', 'bool'], true)
            ? [[], 'array']
            : [new \stdClass(), 'stdClass'];
        $instances = [
            Client::class => $client,
            \RedisPersona\PersonaCache::class => new \RedisPersona\PersonaCache($client),
            \RedisPersona\Invalidator::class => new \RedisPersona\Invalidator($client),
            \RedisPersona\PageCache::class => new \RedisPersona\PageCache($client, ['wait_ms' => 1]),
            \RedisPersona\SlotLock::class => new \RedisPersona\SlotLock($client),
            \RedisPersona\Otp::class => new \RedisPersona\Otp($client, str_repeat('s', 32)),
            \RedisPersona\RateLimiter::class => new \RedisPersona\RateLimiter($client, 'types', 5, 60),
        ];
        $checked = 0;
        foreach ($instances as $class => $instance) {
            foreach ((new \ReflectionClass($class))->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
                $params = $method->getParameters();
                foreach ($params as $k => $param) {
                    $type = (string) $param->getType();
                    $this->assertArrayHasKey($type, $valid, "$class::{$method->name}: untested type $type");
                    $args = array_map(fn (\ReflectionParameter $p) => $valid[(string) $p->getType()], $params);
                    [$args[$k], $given] = $wrong($type);
                    $expected = sprintf(
                        '%s::%s(): Argument #%d ($%s) must be of type %s, %s given',
                        $class,
                        $method->name,
                        $k + 1,
                        $param->name,
                        $type,
                        $given
                    );
                    try {
                        $method->isConstructor()
                            ? new $class(...$args)
                            : $method->invokeArgs($instance, $args);
                        $this->fail("$expected: accepted");
                    } catch (\TypeError $e) {
                        $this->assertSame($expected, $e->getMessage());
                        $this->assertSame(__FILE__, $e->getFile());
                    }
                    $checked++;
                }
            }
        }
        $this->assertGreaterThan(40, $checked);
    }
}
