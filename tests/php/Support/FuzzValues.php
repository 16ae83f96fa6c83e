<?php

namespace RedisPersona\Tests\Support;

/**
 * Seeded generator of arguments for the extension fuzz: plausible values
 * (chosen by parameter name, so calls reach past validation into Redis) and
 * hostile ones of every PHP type. Only mt_rand is used, so a seed replays the
 * same sequence of shapes.
 */
final class FuzzValues
{
    /** @var list<string> */
    private const STRINGS = [
        '', ' ', "\0", "a\0b", "\r\n", "x\r\nFLUSHALL\r\n", "*\r\n\$4\r\nPING\r\n", '*', '?', '[a-z]', '{', '}',
        '{tag}', 'a{b}c', ':', 'a:b', '::', '..', '../x', '/', '\\', '%s%n%x', "\xff\xfe", "\xc3\x28", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", 'é', '😀', "\u{202e}evil", 'ＡＢＣ', "\t", "\x7f", "\x1b[31m", "a'; DROP TABLE x; --",
        '$(reboot)', 'KEYS *', '-1', '0', '1e100', '9223372036854775808', '0x1A', ' 42', '42abc', '١٢', 'NaN',
        'null', 'true', '2031-02-30', '2031-05-05', "2031-05-05\n", '10:00', '24:00', 'room-1', 'room 1', 'x@example.test',
        'a@b', '123456', '12345a', 'default', 'DEFAULT', 'persona_a', 'redis://127.0.0.1:1', 'unix:///nonexistent',
    ];

    /** @var array<string, string> made once: building them per call would dominate the run */
    private static array $big = [];

    public static function init(int $seed): void
    {
        mt_srand($seed);
        if (self::$big === []) {
            self::$big = [
                '200' => str_repeat('k', 200),
                '201' => str_repeat('k', 201),
                '256' => str_repeat('k', 256),
                '4k' => str_repeat('ab', 2048),
                '64k+' => str_repeat('x', 65537),
                '1M+' => str_repeat('h', (1 << 20) + 1),
                '8M+' => str_repeat('v', (8 << 20) + 1),
                'binary' => random_bytes(512),
            ];
        }
    }

    public static function chance(float $p): bool
    {
        return mt_rand() / mt_getrandmax() < $p;
    }

    /**
     * @template T
     * @param array<T> $items
     * @return T
     */
    public static function pick(array $items)
    {
        return $items[array_rand($items)];
    }

    /** A plausible value for a parameter, by its name and declared type. */
    public static function plausible(string $name, string $type, FuzzContext $ctx)
    {
        $remembered = $ctx->remembered($name);
        if ($remembered !== null && self::chance(0.5)) {
            return $remembered;
        }
        switch (strtolower($name)) {
            case 'postid':
                return mt_rand(1, 40);
            case 'persona':
                return self::pick(['default', 'family', 'student', 'p-' . mt_rand(1, 9), 'x_y']);
            case 'date':
                return sprintf('20%02d-%02d-%02d', mt_rand(30, 40), mt_rand(1, 12), mt_rand(1, 28));
            case 'time':
                return sprintf('%02d:%02d', mt_rand(0, 23), self::pick([0, 15, 30, 45]));
            case 'resource':
                return self::pick(['room-1', 'room-2', 'table.3', 'dr_who']);
            case 'owner':
                return self::pick(['alice', 'bob', 'guest:1234']);
            case 'token':
                return self::pick([str_repeat('a', 32), bin2hex(random_bytes(16))]);
            case 'identity':
                return 'user' . mt_rand(1, 20) . '@example.test';
            case 'code':
                return sprintf('%06d', mt_rand(0, 999999));
            case 'key':
                return self::pick(['k' . mt_rand(1, 30), 'user.42', 'a-b_c']);
            case 'tag':
                return self::pick(['news', 'term-' . mt_rand(1, 9), 'cat_3']);
            case 'tags':
                return ['news', 'term-' . mt_rand(1, 9)];
            case 'onpostids':
                return [mt_rand(1, 40), mt_rand(1, 40)];
            case 'htmlbypersona':
                return ['default' => '<p>' . mt_rand() . '</p>', 'family' => 'f'];
            case 'html':
            case 'value':
                return self::pick(['<p>hello</p>', self::$big['4k'], self::$big['binary'], '']);
            case 'ttl':
                return mt_rand(30, 3600);
            case 'windowseconds':
                return mt_rand(1, 600);
            case 'limit':
                return mt_rand(1, 100);
            case 'days':
                return mt_rand(1, 90);
            case 'secret':
                return str_repeat('s', 32);
            case 'name':
                return 'fuzz-' . mt_rand(1, 5);
            case 'url':
                // A Redis URL for Client, a page URL for PageCache: each
                // refuses the other's cleanly.
                return self::chance(0.5) ? $ctx->url : self::pick([
                    'https://example.test/p-' . mt_rand(1, 100000) . '/',
                    'http://example.test:8080/a/b/',
                    'https://[::1]/x/',
                ]);
            case 'variant':
                return self::pick(['default', 'family', 'student', 'p-' . mt_rand(1, 9)]);
            case 'status':
                return self::pick([200, 301, 404, mt_rand(100, 599)]);
            case 'headers':
                return self::pick([[], ['Content-Type' => 'text/html'], ['Set-Cookie' => 'a=b'], ['X-A' => "a\r\nb"]]);
            case 'body':
                return self::pick(['<p>hello</p>', self::$big['4k'], self::$big['binary'], '', self::$big['1M+']]);
            case 'posts':
                return [mt_rand(1, 40), (string) mt_rand(1, 40)];
            case 'fence':
                return self::pick(['1.2.', '1.2.' . str_repeat('a', 32), 'forged']);
            case 'options':
                return self::options($ctx);
            case 'render':
                return self::callable($ctx);
        }
        return self::ofType($type, $ctx);
    }

    /** A well-typed value for a declared type, when the name says nothing. */
    private static function ofType(string $type, FuzzContext $ctx)
    {
        $type = ltrim($type, '?');
        if ($type === 'int') {
            return mt_rand(1, 100);
        }
        if ($type === 'string') {
            return 'v' . mt_rand(1, 100);
        }
        if ($type === 'array') {
            return [];
        }
        if ($type === 'callable') {
            return self::callable($ctx);
        }
        if ($type === 'bool') {
            return self::chance(0.5);
        }
        if ($type === 'float') {
            return mt_rand(1, 1000) / 10;
        }
        if (class_exists($type)) {
            return $ctx->instanceOf($type);
        }
        return self::hostile($ctx);
    }

    /** Options arrays: known names with good or hostile values, and strangers. */
    private static function options(FuzzContext $ctx): array
    {
        $names = [
            'ttl', 'stale_ttl', 'max_bytes', 'compress_min_bytes', 'compression', 'beta', 'lock_ttl_ms', 'lock_wait_ms',
            'connect_timeout_ms', 'read_timeout_ms', 'pool_size', 'prefix', 'retry_interval_ms', 'digits',
            'max_attempts', 'issue_limit', 'issue_window', 'cluster', 'sentinel', 'service', 'lease_ms', 'wait_ms',
        ];
        $options = [];
        for ($i = mt_rand(0, 3); $i > 0; $i--) {
            $name = self::chance(0.9) ? self::pick($names) : self::hostileKey();
            $options[$name] = self::chance(0.5) ? self::pick([0, 1, 5, 60, 600, 'fz', 'lz4', 'none', 0.5, 1000]) : self::hostile($ctx);
        }
        if (isset($options['prefix']) && self::chance(0.5)) {
            $options['prefix'] = 'fz';
        }
        return $options;
    }

    /** A value of any type, chosen to break validation, conversion or Redis. */
    public static function hostile(FuzzContext $ctx, int $depth = 0)
    {
        switch (mt_rand(0, 15)) {
            case 0:
                return null;
            case 1:
                return self::chance(0.5);
            case 2:
            case 3:
                return self::pick([0, -1, 1, -0, PHP_INT_MAX, PHP_INT_MIN, PHP_INT_MAX - 1, 2 ** 31, -(2 ** 31), 2 ** 32,
                    4294967295, 65536, 1000001, mt_rand(-1000000, 1000000)]);
            case 4:
                return self::pick([1.5, -0.0, NAN, INF, -INF, 1e308, 9.2233720368547758E+18, -1e19, 0.1, 3.0, 1e-300]);
            case 5:
            case 6:
            case 7:
                return self::pick(self::STRINGS);
            case 8:
                return self::big();
            case 9:
                return self::pick(self::STRINGS) . self::pick(self::STRINGS) . mt_rand();
            case 10:
            case 11:
                return $depth > 3 ? [] : self::hostileArray($ctx, $depth + 1);
            case 12:
                return self::object($ctx);
            case 13:
                return self::callable($ctx);
            case 14:
                return $ctx->instanceOf(self::pick($ctx->classes));
            default:
                return self::pick([fopen('php://memory', 'r'), STDIN, fopen('php://memory', 'r')]);
        }
    }

    private static function big(): string
    {
        // Sizes are weighted: the 8 MiB one costs real time when it is valid.
        $size = self::pick(['200', '201', '256', '4k', '64k+', '64k+', '1M+', 'binary', '200', '201']);
        return self::chance(0.05) ? self::$big['8M+'] : self::$big[$size];
    }

    private static function hostileKey()
    {
        return self::pick([-1, 0, 2 ** 40, '', "\0", 'a*', "k\r\n", '{x}', 'é', '😀', "\xff", '123', str_repeat('n', 300)]);
    }

    private static function hostileArray(FuzzContext $ctx, int $depth): array
    {
        switch (mt_rand(0, 6)) {
            case 0:
                return [];
            case 1:
                $deep = [];
                for ($i = 0; $i < 200; $i++) {
                    $deep = [$deep];
                }
                return $deep;
            case 2:
                $self = ['a' => 1];
                $self['self'] = &$self;
                return $self;
            case 3:
                return array_fill(0, self::pick([1000, 20000]), self::pick(['x', 1, 'default']));
            case 4:
                return array_fill_keys(['default', 'family', 'a*', "\0", 'é', '', '{t}'], self::pick(['<p>x</p>', 1, null, []]));
            default:
                $array = [];
                for ($i = mt_rand(1, 5); $i > 0; $i--) {
                    $value = self::chance(0.5) ? self::pick([1, 'default', 'news', 7, '<p>x</p>']) : self::hostile($ctx, $depth);
                    if (self::chance(0.5)) {
                        $array[] = $value;
                    } else {
                        $array[self::hostileKey()] = $value;
                    }
                }
                return $array;
        }
    }

    private static function object(FuzzContext $ctx): object
    {
        switch (mt_rand(0, 7)) {
            case 0:
                return new \stdClass();
            case 1:
                return new FuzzStringable(self::pick(['default', "x\0y", '', self::$big['201'], '42']));
            case 2:
                return new FuzzStringable(null);
            case 3:
                return new \ArrayObject([1, 2, 'default']);
            case 4:
                return new \DateTimeImmutable('@0');
            case 5:
                return (static function () {
                    yield 'default' => 'x';
                })();
            case 6:
                return FuzzEnum::Default;
            default:
                return new \SplFixedArray(3);
        }
    }

    /** Callables that behave, misbehave, throw, or call back into the extension. */
    public static function callable(FuzzContext $ctx)
    {
        switch (mt_rand(0, 11)) {
            case 0:
            case 1:
                return static fn () => '<p>rendered ' . mt_rand() . '</p>';
            case 2:
                return static fn () => self::pick([42, null, 1.5, [], false, new \stdClass()]);
            case 3:
                return static function () {
                    throw new FuzzCallbackException('thrown by the fuzz callback');
                };
            case 4:
                return static fn () => self::big();
            case 5:
                return static fn ($a, $b, $c, $d, $e) => 'needs five arguments';
            case 6:
                return static fn () => new FuzzStringable('stringable render');
            case 7:
                return $ctx->reentrant();
            case 8:
                return self::pick(['phpversion', 'strtoupper', 'time', 'no_such_function_anywhere', 'Nope::nope']);
            case 9:
                return [new FuzzStringable('method render'), '__toString'];
            case 10:
                return static function (...$args) {
                    return json_encode(array_map('gettype', $args));
                };
            default:
                return static function () {
                    yield 'not a string';
                };
        }
    }
}
