<?php

namespace RedisPersona\Tests;

use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\Topology;
use RedisPersona\Tests\Support\RedisTestCase;

/**
 * Hostile-input fuzz of every public method the extension declares, found
 * by reflection so that methods and classes added later are fuzzed too.
 *
 * Each class runs in child processes (fixtures/fuzz-child.php) so a crash is
 * caught and reported with the input that caused it. Each call must end in
 * a value of the declared type or a documented exception that names the
 * argument: no crash, hang, PHP warning, printed output, or key outside the
 * prefix.
 *
 * `make test` uses a fixed seed and 1 000 inputs per method; `make fuzz`
 * picks a random seed (printed) and more inputs. RP_FUZZ_SEED and
 * RP_FUZZ_COUNT replay or resize a run.
 */
final class FuzzTest extends RedisTestCase
{
    private const DEFAULT_SEED = 20261129;
    private const PREFIX = 'fz';

    public static function seed(): int
    {
        $seed = getenv('RP_FUZZ_SEED');
        return is_string($seed) && $seed !== '' ? (int) $seed : self::DEFAULT_SEED;
    }

    public static function inputs(): int
    {
        $count = getenv('RP_FUZZ_COUNT');
        return is_string($count) && $count !== '' ? max(1, (int) $count) : 1000;
    }

    /** @return iterable<string, array{0: class-string}> */
    public function extensionClasses(): iterable
    {
        foreach ((new \ReflectionExtension('redis_persona'))->getClasses() as $class) {
            yield $class->getShortName() => [$class->getName()];
        }
    }

    public function testEveryClassOfTheExtensionIsFuzzed(): void
    {
        $names = array_keys(iterator_to_array($this->extensionClasses()));
        foreach (['Client', 'PersonaCache', 'PageCache', 'Invalidator', 'SlotLock', 'Otp', 'RateLimiter'] as $expected) {
            $this->assertContains($expected, $names);
        }
    }

    /** @dataProvider extensionClasses */
    public function testHostileInputIsRefusedCleanly(string $class): void
    {
        $methods = array_map(fn ($m) => $m->getName(), self::declaredMethods($class));
        if ($methods === []) {
            $this->assertSame([], $methods, "$class declares no method of its own");
            return;
        }
        self::$redis->admin()->command('FLUSHALL');
        $run = self::fuzz($class, $methods, self::seed(), self::inputs());
        $problems = $run['problems'];
        foreach ($methods as $method) {
            $calls = $run['calls']["$class::$method"] ?? 0;
            if ($calls < self::inputs() && !self::mentions($problems, "$class::$method")) {
                $problems[] = "$class::$method ran $calls of " . self::inputs() . ' inputs';
            }
        }
        $problems = array_merge($problems, self::keysOutsidePrefix(self::$redis));
        $this->assertSame(
            [],
            $problems,
            sprintf('fuzz of %1$s (seed %2$d, %3$d inputs per method; replay with RP_FUZZ_SEED=%2$d)', $class, self::seed(), self::inputs())
        );
    }

    /** The key check itself can fail: a key written without the prefix is found. */
    public function testKeyCheckFindsAForeignKey(): void
    {
        self::$redis->admin()->command('SET', self::PREFIX . ':fine', '1');
        $this->assertSame([], self::keysOutsidePrefix(self::$redis));
        self::$redis->admin()->command('SET', 'intruder', '1');
        $this->assertSame(['key outside the prefix: "intruder"'], self::keysOutsidePrefix(self::$redis));
        self::$redis->admin()->command('DEL', 'intruder');
    }

    /** @return list<\ReflectionMethod> */
    private static function declaredMethods(string $class): array
    {
        return \RedisPersona\Tests\Support\FuzzContext::methodsOf($class);
    }

    /**
     * Runs the child until every method is done; after a crash, a new child
     * goes on with the methods after the one that crashed.
     *
     * @param list<string> $methods
     * @return array{problems: list<string>, calls: array<string, int>}
     */
    public static function fuzz(string $class, array $methods, int $seed, int $count): array
    {
        $problems = [];
        $calls = [];
        $dir = sys_get_temp_dir() . '/rp-fuzz-' . getmypid();
        @mkdir($dir, 0700);
        $down = RedisServer::freePort();
        while ($methods !== []) {
            $result = self::child($dir, $class, $methods, $seed, $count, $down);
            foreach ($result['lines'] as $line) {
                if ($line['kind'] === 'problem') {
                    $problems[] = sprintf('%s #%d: %s → %s', $line['method'], $line['index'], $line['input'], $line['detail']);
                } elseif ($line['kind'] === 'summary') {
                    $calls[$line['method']] = $line['calls'];
                }
            }
            if ($result['stderr'] !== '') {
                $problems[] = "$class: the process wrote to stderr: " . substr($result['stderr'], 0, 400);
            }
            if ($result['done']) {
                break;
            }
            $problems[] = "$class: the process died ({$result['how']}) during: {$result['progress']}";
            $crashed = preg_match('/^[^:]+::(\w+) #/', $result['progress'], $m) === 1 ? $m[1] : null;
            $at = $crashed === null ? false : array_search($crashed, $methods, true);
            $methods = $at === false ? [] : array_slice($methods, $at + 1);
        }
        array_map('unlink', glob("$dir/*") ?: []);
        @rmdir($dir);
        return ['problems' => $problems, 'calls' => $calls];
    }

    /**
     * @param list<string> $methods
     * @return array{lines: list<array<string, mixed>>, done: bool, how: string, progress: string, stderr: string}
     */
    private static function child(string $dir, string $class, array $methods, int $seed, int $count, int $downPort): array
    {
        $url = self::$redis->target();
        $files = ['out' => "$dir/out", 'err' => "$dir/err", 'progress' => "$dir/progress"];
        file_put_contents($files['progress'], '(before the first call)');
        $command = [
            PHP_BINARY, '-n', '-d', 'extension=' . getenv('RP_EXTENSION'), '-d', 'redis_persona.log_level=off',
            ...self::iniArguments(['redis_persona.url' => $url, 'redis_persona.prefix' => self::PREFIX] + self::$redis->childIni()),
            '-d', 'memory_limit=1G',
            '-d', 'error_reporting=E_ALL', '-d', 'display_errors=stderr',
            __DIR__ . '/fixtures/fuzz-child.php', (string) $seed, (string) $count, $url, "redis://127.0.0.1:$downPort",
            $files['progress'], $class, implode(',', $methods),
        ];
        $io = [0 => ['file', '/dev/null', 'r'], 1 => ['file', $files['out'], 'w'], 2 => ['file', $files['err'], 'w']];
        $process = proc_open($command, $io, $pipes);
        $timeout = 30 + $count * count($methods) * 0.005;
        $deadline = microtime(true) + $timeout;
        $how = '';
        while (($status = proc_get_status($process))['running']) {
            if (microtime(true) > $deadline) {
                proc_terminate($process, 9);
                $how = 'hung: killed after ' . round($timeout) . ' s';
            }
            usleep(20000);
        }
        proc_close($process);
        if ($how === '') {
            $how = $status['signaled'] ? 'signal ' . $status['termsig'] : 'exit code ' . $status['exitcode'];
        }
        $lines = [];
        $done = false;
        foreach (file($files['out'], FILE_IGNORE_NEW_LINES) ?: [] as $raw) {
            $line = json_decode($raw, true);
            if (!is_array($line)) {
                $lines[] = ['kind' => 'problem', 'method' => $class, 'index' => -1, 'input' => '-', 'detail' => "printed: $raw"];
                continue;
            }
            $done = $done || $line['kind'] === 'done';
            $lines[] = $line;
        }
        return [
            'lines' => $lines,
            'done' => $done && $status['exitcode'] === 0,
            'how' => $how,
            'progress' => (string) file_get_contents($files['progress']),
            'stderr' => (string) file_get_contents($files['err']),
        ];
    }

    /**
     * @param array<string, string> $settings
     * @return list<string> `-d name=value` for each
     */
    private static function iniArguments(array $settings): array
    {
        $arguments = [];
        foreach ($settings as $name => $value) {
            array_push($arguments, '-d', "$name=$value");
        }
        return $arguments;
    }

    /** @return list<string> every key of every database not under PREFIX: */
    public static function keysOutsidePrefix(Topology $redis): array
    {
        $admin = $redis->admin();
        $outside = [];
        $keyspace = (string) $admin->command('INFO', 'keyspace');
        if (preg_match_all('/^db(\d+):/m', $keyspace, $m) && array_diff($m[1], ['0']) !== []) {
            $outside[] = 'keys in other databases: ' . trim($keyspace);
        }
        $cursor = '0';
        do {
            [$cursor, $keys] = $admin->command('SCAN', $cursor, 'COUNT', '1000');
            foreach ($keys as $key) {
                if (!str_starts_with($key, self::PREFIX . ':')) {
                    $outside[] = 'key outside the prefix: ' . json_encode($key, JSON_INVALID_UTF8_SUBSTITUTE);
                }
            }
        } while ($cursor !== '0');
        return $outside;
    }

    /** @param list<string> $problems */
    private static function mentions(array $problems, string $method): bool
    {
        foreach ($problems as $problem) {
            if (str_contains($problem, $method)) {
                return true;
            }
        }
        return false;
    }
}
