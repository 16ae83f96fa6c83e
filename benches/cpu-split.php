<?php

// Where a call's time goes when PHP and every Redis process share one CPU:
// the CPU the PHP process spends (getrusage) and the CPU the Redis processes
// spend (INFO cpu of each node: masters, replicas applying the replication
// stream, nodes woken by the cluster bus), per call. CPU time, unlike wall
// time, hardly moves when other work shares the machine. Each node's idle
// CPU (cluster cron, bus pings) is measured first and taken off.
// Same case shapes as harness.php's rp_compare (a pair, or setup + run).

function rp_process_cpu_us(): float
{
    $u = getrusage();
    return ($u['ru_utime.tv_sec'] + $u['ru_stime.tv_sec']) * 1e6 + $u['ru_utime.tv_usec'] + $u['ru_stime.tv_usec'];
}

/** @param list<Redis> $nodes */
function rp_redis_cpu_us(array $nodes): float
{
    $total = 0.0;
    foreach ($nodes as $node) {
        $cpu = $node->info('cpu');
        $total += ((float) $cpu['used_cpu_user'] + (float) $cpu['used_cpu_sys']) * 1e6;
    }
    return $total;
}

/** Connections for INFO, one per port. @return list<Redis> */
function rp_nodes(array $ports): array
{
    return array_map(function ($port) {
        $node = new Redis();
        $node->connect('127.0.0.1', (int) $port);
        return $node;
    }, $ports);
}

/**
 * Redis CPU µs per wall µs of these nodes doing nothing, and the Redis CPU
 * of taking one snapshot (INFO on every node), measured before any case.
 *
 * @return array{0: float, 1: float}
 */
function rp_redis_idle(array $nodes): array
{
    $start = hrtime(true);
    $before = rp_redis_cpu_us($nodes);
    usleep(500_000);
    $rate = (rp_redis_cpu_us($nodes) - $before) / ((hrtime(true) - $start) / 1000);
    $before = rp_redis_cpu_us($nodes);
    for ($i = 0; $i < 50; $i++) {
        rp_redis_cpu_us($nodes);
    }
    $snapshot = (rp_redis_cpu_us($nodes) - $before) / 51;
    return [$rate, $snapshot];
}

/** [PHP CPU µs, Redis CPU µs] per call of $run ($setup untimed before each). */
function rp_cpu_per_call(callable $run, ?callable $setup, array $nodes, array $idle, int $iterations): array
{
    [$rate, $snapshot] = $idle;
    $php = 0.0;
    $redis = 0.0;
    $wall = 0.0;
    $snapshots = 0;
    $measure = function (callable $body) use ($nodes, &$php, &$redis, &$wall, &$snapshots) {
        $start = hrtime(true);
        $redisBefore = rp_redis_cpu_us($nodes);
        $phpBefore = rp_process_cpu_us();
        $body();
        $php += rp_process_cpu_us() - $phpBefore;
        $redis += rp_redis_cpu_us($nodes) - $redisBefore;
        $wall += (hrtime(true) - $start) / 1000;
        $snapshots++;
    };
    if ($setup === null) {
        $measure(function () use ($run, $iterations) {
            for ($i = 0; $i < $iterations; $i++) {
                $run();
            }
        });
    } else {
        for ($i = 0; $i < $iterations; $i++) {
            $setup();
            $measure($run);
        }
    }
    $redis -= $rate * $wall + $snapshot * $snapshots;
    return [$php / $iterations, max(0.0, $redis / $iterations)];
}

/**
 * @param array<string, array> $cases
 * @param array{0: list<Redis>, 1: list<Redis>} $nodes each side's Redis nodes
 * @param array{0: string, 1: string} $labels
 */
function rp_cpu_split(array $cases, array $nodes, int $iterations, array $iterationsByCase, array $labels): string
{
    $idle = [rp_redis_idle($nodes[0]), rp_redis_idle($nodes[1])];
    $out = sprintf(
        "| operation | %1\$s: PHP CPU µs | %1\$s: Redis CPU µs | %2\$s: PHP CPU µs | %2\$s: Redis CPU µs |\n",
        ...$labels
    );
    $out .= "|---|---:|---:|---:|---:|\n";
    foreach ($cases as $name => $case) {
        $run = $case['run'] ?? $case;
        $setup = $case['setup'] ?? [null, null];
        $n = $iterationsByCase[$name] ?? $iterations;
        $cells = [];
        for ($side = 0; $side < 2; $side++) {
            $cells[] = rp_cpu_per_call($run[$side], $setup[$side], $nodes[$side], $idle[$side], $n);
        }
        $out .= sprintf("| %s | %.1f | %.1f | %.1f | %.1f |\n", $name, ...$cells[0], ...$cells[1]);
    }
    return $out;
}
