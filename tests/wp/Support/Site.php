<?php

declare(strict_types=1);

namespace RedisPersona\WpTests\Support;

/**
 * The private WordPress site the suite runs against (started by
 * tests/wp/run.sh): its URL, credentials, sample content, logs, and control
 * of its Redis: one server, or a Redis Cluster (stop and start mean every
 * node; commands on a key go to the master of its hash slot, commands for
 * the whole server to every master).
 */
final class Site
{
    /** @var array<string, string>|null */
    private static ?array $env = null;

    public static function dir(): string
    {
        $dir = getenv('RP_WP_STATE');
        if (!is_string($dir) || !is_dir($dir)) {
            throw new \RuntimeException('RP_WP_STATE must name the site directory (tests/wp/run.sh sets it)');
        }
        return rtrim($dir, '/');
    }

    /** 'redis' or 'fallback': whether php-fpm loads the extension in this run. */
    public static function mode(): string
    {
        return getenv('RP_WP_MODE') === 'fallback' ? 'fallback' : 'redis';
    }

    public static function env(string $name): string
    {
        if (self::$env === null) {
            self::$env = [];
            foreach (['site.env', 'content.env'] as $file) {
                foreach (file(self::dir() . '/' . $file, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
                    [$key, $value] = explode('=', $line, 2);
                    self::$env[$key] = trim($value, "'");
                }
            }
        }
        if (!isset(self::$env[$name])) {
            throw new \RuntimeException("site setting $name is missing");
        }
        return self::$env[$name];
    }

    public static function url(string $path = '/'): string
    {
        return self::env('SITE_URL') . $path;
    }

    /** @return array{0: string, 1: string} */
    public static function admin(): array
    {
        return ['admin', self::env('APP_PASSWORD')];
    }

    /**
     * @param array<string, mixed> $options see Http::request
     * @return array{status: int, headers: array<string, string>, body: string, json: mixed, time: float}
     */
    public static function get(string $path, array $options = []): array
    {
        return Http::request(self::url($path), $options);
    }

    /**
     * A REST call to /wp-json/<route>.
     *
     * @param array<string, mixed>|string|null $body
     * @param array<string, mixed> $options
     * @return array{status: int, headers: array<string, string>, body: string, json: mixed, time: float}
     */
    public static function rest(string $method, string $route, $body = null, array $options = []): array
    {
        return Http::request(self::rest_url($route), self::rest_options($method, $body, $options));
    }

    public static function rest_url(string $route): string
    {
        return self::url('/wp-json/' . ltrim($route, '/'));
    }

    /**
     * @param array<string, mixed>|string|null $body
     * @param array<string, mixed> $options
     * @return array<string, mixed>
     */
    public static function rest_options(string $method, $body = null, array $options = []): array
    {
        $options['method'] = $method;
        if ($body !== null) {
            $options['body'] = $body;
        }
        return $options;
    }

    /** Runs a PHP snippet inside WordPress (tests/wp/site.sh wp) and returns its output. */
    public static function wp(string $php): string
    {
        $file = tempnam(sys_get_temp_dir(), 'rp-wp-');
        file_put_contents($file, "<?php\n" . $php);
        try {
            $root = dirname(__DIR__, 3);
            $command = sprintf('%s/tests/wp/site.sh wp %s %s 2>&1', $root, escapeshellarg(self::dir()), escapeshellarg($file));
            exec($command, $output, $status);
            if ($status !== 0) {
                throw new \RuntimeException("wp runner failed ($status): " . implode("\n", $output));
            }
            return implode("\n", $output);
        } finally {
            unlink($file);
        }
    }

    /** How many times the [rp_slow] shortcode has run. */
    public static function slow_runs(): int
    {
        $file = self::dir() . '/slow.log';
        return is_file($file) ? count(file($file) ?: []) : 0;
    }

    /**
     * What the sandbox logged of a plugin action (redis_persona_booking_created,
     * redis_persona_booking_cancelled, redis_persona_error) since $since (a microtime).
     *
     * @return list<array<string, mixed>> each action's argument
     */
    public static function actions(string $hook, float $since = 0.0): array
    {
        $file = self::dir() . '/actions.log';
        $found = [];
        foreach (is_file($file) ? (file($file, FILE_IGNORE_NEW_LINES) ?: []) : [] as $line) {
            $action = json_decode($line, true);
            if (is_array($action) && $action['hook'] === $hook && $action['at'] >= $since) {
                $found[] = $action['args'];
            }
        }
        return $found;
    }

    /** @return list<array{to: string, subject: string, message: string}> */
    public static function mails(): array
    {
        $file = self::dir() . '/mail.log';
        $mails = [];
        foreach (is_file($file) ? (file($file, FILE_IGNORE_NEW_LINES) ?: []) : [] as $line) {
            $mails[] = json_decode($line, true);
        }
        return $mails;
    }

    /**
     * The code in the latest mail to $identity. Codes are mailed after the
     * response has been sent, so this waits up to $wait_ms for a mail that
     * is newer than $since (a microtime), or for any mail without it.
     */
    public static function mailed_code(string $identity, int $wait_ms = 3000, ?float $since = null): ?string
    {
        $deadline = microtime(true) + $wait_ms / 1000;
        do {
            foreach (array_reverse(self::mails()) as $mail) {
                if (
                    $mail['to'] === $identity
                    && ($since === null || $mail['at'] >= $since)
                    && preg_match('/code is (\d+)/', $mail['message'], $m) === 1
                ) {
                    return $m[1];
                }
            }
            usleep(20000);
        } while (microtime(true) < $deadline);
        return null;
    }

    /** Log lines since $offset that are PHP warnings, notices or errors, or deprecations in our code. */
    public static function log_problems(int $offset): array
    {
        $problems = [];
        foreach (['wp-debug.log', 'php-error.log', 'fpm.log'] as $name) {
            $file = self::dir() . '/' . $name;
            if (!is_file($file)) {
                continue;
            }
            $text = (string) file_get_contents($file, false, null, $name === 'wp-debug.log' ? $offset : 0);
            foreach (explode("\n", $text) as $line) {
                $ours = str_contains($line, 'redis-persona');
                if (
                    preg_match('/PHP (Warning|Notice|Fatal error|Parse error|Recoverable)/', $line) === 1
                    || (str_contains($line, 'PHP Deprecated') && $ours)
                    || preg_match('/WordPress database error/', $line) === 1
                ) {
                    $problems[] = $line;
                }
            }
        }
        return $problems;
    }

    public static function log_size(): int
    {
        $file = self::dir() . '/wp-debug.log';
        clearstatcache();
        return is_file($file) ? (int) filesize($file) : 0;
    }

    /** 'single' or 'cluster': the Redis the site runs on (tests/wp/site.sh, RP_WP_TOPOLOGY). */
    public static function topology(): string
    {
        $file = self::dir() . '/topology';
        return is_file($file) && trim((string) file_get_contents($file)) === 'cluster' ? 'cluster' : 'single';
    }

    /** The single server's port, or on a cluster the first node's (a seed). */
    public static function redis_port(): int
    {
        if (self::topology() === 'cluster') {
            return self::cluster_ports()[0];
        }
        return (int) trim((string) file_get_contents(self::dir() . '/redis/redis.port'));
    }

    /** @return list<int> the six cluster nodes' ports, masters first as created */
    private static function cluster_ports(): array
    {
        $ports = preg_split('/\s+/', trim((string) file_get_contents(self::dir() . '/cluster/ports'))) ?: [];
        return array_map('intval', $ports);
    }

    /** @return list<int> the ports of the nodes that are masters now (the one server when not a cluster) */
    public static function master_ports(): array
    {
        if (self::topology() !== 'cluster') {
            return [self::redis_port()];
        }
        $masters = [];
        foreach (self::cluster_ports() as $port) {
            if (str_starts_with(self::cli($port, 'ROLE'), 'master')) {
                $masters[] = $port;
            }
        }
        return $masters;
    }

    /**
     * One redis-cli command ($command: shell words, already escaped) on the
     * node that serves its key: on a cluster redis-cli -c follows MOVED to
     * the master of the key's hash slot. Returns the output, errors included.
     */
    public static function redis(string $command): string
    {
        if (self::topology() === 'cluster') {
            return self::cli(self::master_ports()[0] ?? self::redis_port(), $command, true);
        }
        return self::cli(self::redis_port(), $command);
    }

    /** A command for the whole server (CONFIG SET, ACL, FLUSHALL…) on every master; outputs joined. */
    public static function redis_masters(string $command): string
    {
        $out = [];
        foreach (self::master_ports() as $port) {
            $out[] = self::cli($port, $command);
        }
        return implode("\n", $out);
    }

    /** @return list<string> every key matching $pattern (SCAN on every master: a cluster splits keys by slot) */
    public static function redis_keys(string $pattern = '*'): array
    {
        $keys = [];
        foreach (self::master_ports() as $port) {
            $out = self::cli($port, '--scan --pattern ' . escapeshellarg($pattern));
            $keys = array_merge($keys, array_filter(explode("\n", $out), 'strlen'));
        }
        return array_values(array_unique($keys));
    }

    private static function cli(int $port, string $command, bool $follow = false): string
    {
        exec(sprintf('redis-cli%s -p %d %s 2>&1', $follow ? ' -c' : '', $port, $command), $out);
        return implode("\n", $out);
    }

    /**
     * The command that makes Redis refuse every write but keep its data and
     * answer reads: one server becomes a replica of nothing (READONLY); a
     * cluster node cannot, so every master's default user loses the write
     * commands (NOPERM). Run it with redis_masters(); accept_writes() undoes it.
     */
    public static function refuse_writes_command(): string
    {
        return self::topology() === 'cluster' ? 'ACL SETUSER default -@write' : 'REPLICAOF 127.0.0.1 1';
    }

    /** Undoes refuse_writes_command() and a memory limit (CONFIG SET maxmemory) on every master. */
    public static function accept_writes(): void
    {
        self::redis_masters(self::topology() === 'cluster' ? 'ACL SETUSER default +@all' : 'REPLICAOF NO ONE');
        self::redis_masters('CONFIG SET maxmemory 0');
    }

    /** Stops the Redis server, or every node of the cluster (by pid; their cluster config stays). */
    public static function stop_redis(): void
    {
        if (self::topology() !== 'cluster') {
            self::run(sprintf('%s/scripts/redis.sh stop %s', dirname(__DIR__, 3), escapeshellarg(self::dir() . '/redis')));
            return;
        }
        $pids = [];
        foreach (self::cluster_ports() as $port) {
            $file = self::dir() . "/cluster/node-$port.pid";
            $pid = is_file($file) ? (int) trim((string) file_get_contents($file)) : 0;
            if ($pid > 0 && posix_kill($pid, 0)) {
                posix_kill($pid, SIGTERM);
                $pids[] = $pid;
            }
        }
        $deadline = microtime(true) + 5;
        while (array_filter($pids, static fn (int $pid): bool => posix_kill($pid, 0)) !== [] && microtime(true) < $deadline) {
            usleep(20000);
        }
    }

    /** Starts the stopped server again on its port, or every stopped cluster node, and waits for the cluster to serve. */
    public static function start_redis(): void
    {
        if (self::topology() !== 'cluster') {
            self::run(sprintf(
                'REDIS_PORT=%d %s/scripts/redis.sh start %s',
                self::redis_port(),
                dirname(__DIR__, 3),
                escapeshellarg(self::dir() . '/redis')
            ));
            return;
        }
        $started = false;
        foreach (self::cluster_ports() as $port) {
            $file = self::dir() . "/cluster/node-$port.pid";
            $pid = is_file($file) ? (int) trim((string) file_get_contents($file)) : 0;
            if ($pid > 0 && posix_kill($pid, 0)) {
                continue;
            }
            self::run(sprintf(
                '%s/scripts/redis-cluster.sh restart-node %s %d',
                dirname(__DIR__, 3),
                escapeshellarg(self::dir() . '/cluster'),
                $port
            ));
            $started = true;
        }
        if ($started) {
            self::wait_for_cluster();
            self::reload_php();
        }
    }

    /**
     * php-fpm reloads its workers (SIGUSR2) and this waits until PHP answers.
     *
     * After every cluster node restarted, each worker's pools hold one dead
     * connection per master, and the first call on each fails (measured: 3
     * ConnectionExceptions per process, against 1 on one server), sending
     * that request to the fallback. The test that restarted the cluster has
     * seen its recovery by then; fresh workers keep those leftovers out of
     * the next test's assertions.
     */
    private static function reload_php(): void
    {
        $pid = (int) trim((string) @file_get_contents(self::dir() . '/fpm.pid'));
        if ($pid <= 0 || !posix_kill($pid, SIGUSR2)) {
            return;
        }
        $deadline = microtime(true) + 10;
        do {
            usleep(100000);
            if (Http::request(self::url('/wp-json/'), [])['status'] === 200) {
                return;
            }
        } while (microtime(true) < $deadline);
    }

    /** Waits (up to 20 s) until every node says cluster_state:ok and every master has its replica's link up. */
    public static function wait_for_cluster(): void
    {
        $deadline = microtime(true) + 20;
        do {
            $ok = true;
            foreach (self::cluster_ports() as $port) {
                $ok = $ok && str_contains(self::cli($port, 'CLUSTER INFO'), 'cluster_state:ok');
                $replication = self::cli($port, 'INFO replication');
                $ok = $ok && (!str_contains($replication, 'role:slave') || str_contains($replication, 'master_link_status:up'));
            }
            if ($ok) {
                return;
            }
            usleep(100000);
        } while (microtime(true) < $deadline);
        throw new \RuntimeException('the cluster did not serve again within 20 s');
    }

    /**
     * Runs due WP-Cron events now, and the follow-ups they schedule for now,
     * as wp-cron.php would over several requests, and waits for them. (Not by
     * including wp-cron.php: it ends with die(), and over HTTP it answers
     * before it runs the events, with fastcgi_finish_request.)
     */
    public static function run_cron(): void
    {
        // One process per round, as WP-Cron runs one request after another
        // (a page that defined DONOTCACHEPAGE ends its round's preload).
        for ($round = 0; $round < 100; $round++) {
            $ran = (int) self::wp(sprintf('echo (int) require %s;', var_export(dirname(__DIR__) . '/site/run-due-cron.php', true)));
            if ($ran === 0) {
                return;
            }
        }
    }

    private static function run(string $command): void
    {
        exec($command . ' 2>&1', $output, $status);
        if ($status !== 0) {
            throw new \RuntimeException("$command failed: " . implode("\n", $output));
        }
    }
}
