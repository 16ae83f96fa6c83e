<?php

namespace RedisPersona\Tests\Support;

/**
 * Runs a PHP script in a fresh `php -n` process with the extension under
 * test loaded, for what must happen in its own process (forks, strict_types
 * files, fatal-error checks).
 */
final class PhpProcess
{
    /**
     * Runs the script to completion.
     *
     * @param list<string> $args
     * @param array<string, string> $ini
     * @return array{exit: int, stdout: string, stderr: string}
     */
    public static function run(string $script, array $args = [], array $ini = []): array
    {
        return self::wait(self::start($script, $args, $ini));
    }

    /**
     * Starts the script and returns at once; pass the handle to wait().
     *
     * @param list<string> $args
     * @param array<string, string> $ini
     * @return array{process: resource, pipes: array<int, resource>}
     */
    public static function start(string $script, array $args = [], array $ini = []): array
    {
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . self::extension()];
        foreach (['posix', 'pcntl'] as $ext) {
            if (!extension_loaded($ext) || !self::isBuiltIn($ext)) {
                $command[] = '-d';
                $command[] = "extension=$ext";
            }
        }
        foreach ($ini as $name => $value) {
            $command[] = '-d';
            $command[] = "$name=$value";
        }
        $command[] = $script;
        array_push($command, ...$args);
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot run $script");
        }
        return ['process' => $process, 'pipes' => $pipes];
    }

    /**
     * Waits for a started script to exit.
     *
     * @param array{process: resource, pipes: array<int, resource>} $handle
     * @return array{exit: int, stdout: string, stderr: string}
     */
    public static function wait(array $handle): array
    {
        $stdout = (string) stream_get_contents($handle['pipes'][1]);
        $stderr = (string) stream_get_contents($handle['pipes'][2]);
        fclose($handle['pipes'][1]);
        fclose($handle['pipes'][2]);
        return ['exit' => proc_close($handle['process']), 'stdout' => $stdout, 'stderr' => $stderr];
    }

    public static function extension(): string
    {
        $path = getenv('RP_EXTENSION');
        if ($path === false || !is_file($path)) {
            throw new \RuntimeException('RP_EXTENSION must name the built extension');
        }
        return $path;
    }

    private static function isBuiltIn(string $ext): bool
    {
        return !is_file(ini_get('extension_dir') . "/$ext.so");
    }
}
