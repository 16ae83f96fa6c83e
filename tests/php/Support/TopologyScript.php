<?php

namespace RedisPersona\Tests\Support;

/** Runs scripts/redis-cluster.sh or scripts/redis-sentinel.sh and returns what it printed. */
final class TopologyScript
{
    public static function run(string $name, string ...$args): string
    {
        $script = dirname(__DIR__, 3) . "/scripts/$name";
        $process = proc_open(
            [$script, ...$args],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes
        );
        if (!is_resource($process)) {
            throw new \RuntimeException("cannot run $name");
        }
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        if (proc_close($process) !== 0) {
            throw new \RuntimeException("$name " . implode(' ', $args) . " failed: $err");
        }
        return $out;
    }
}
