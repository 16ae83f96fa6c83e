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
        $client = new Client(self::$redis->url());
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
        $result = PhpProcess::run(__DIR__ . '/fixtures/strict-calls.php', [self::$redis->url()]);
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $this->assertSame('', $result['stderr']);
        $this->assertSame(
            [
                'set(123, "v")' => 'TypeError: Invalid value given for argument `key`.',
                'set("k", "v", "60")' => 'TypeError: Invalid value given for argument `ttl`.',
                'set("k", 1.5)' => 'TypeError: Invalid value given for argument `value`.',
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
            'array key' => [fn (Client $c) => $c->get([]), \TypeError::class, 'argument `key`'],
            'null key' => [fn (Client $c) => $c->get(null), \TypeError::class, 'argument `key`'],
            'object key' => [fn (Client $c) => $c->get(new \stdClass()), \TypeError::class, 'argument `key`'],
            'zero ttl' => [fn (Client $c) => $c->set('k', 'v', 0), \ValueError::class, 'ttl: must be between 1'],
            'huge ttl' => [fn (Client $c) => $c->set('k', 'v', PHP_INT_MAX), \ValueError::class, 'ttl: must be between 1'],
            'fraction ttl' => [fn (Client $c) => $c->set('k', 'v', 1.5), \TypeError::class, 'argument `ttl`'],
            'word ttl' => [fn (Client $c) => $c->set('k', 'v', 'soon'), \TypeError::class, 'argument `ttl`'],
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
            'cluster not yet' => [fn () => new Client(null, ['cluster' => ['redis://a']]), \ValueError::class, 'Cluster'],
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
        $client = new Client(self::$redis->url(), ['prefix' => 'bad']);
        try {
            $call($client);
            $this->fail('no exception');
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e);
            $this->assertStringContainsString($message, $e->getMessage());
        }
        $this->assertSame($before, (int) self::$redis->admin()->command('DBSIZE'), 'bad input wrote a key');
    }
}
