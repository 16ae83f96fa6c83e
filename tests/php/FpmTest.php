<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\FastCgi;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisServer;
use RedisPersona\Tests\Support\RedisTestCase;
use RedisPersona\Tests\Support\Topology;

/**
 * The extension loaded by a php-fpm master that then forks its workers,
 * under concurrent requests: 0 mismatched replies, one pool per worker.
 */
final class FpmTest extends TestCase
{
    private const WORKERS = 4;

    public function testWorkersEachUseTheirOwnPool(): void
    {
        $redis = RedisTestCase::topology();
        [$master, $masterPid, $port, $dir] = $this->startFpm(self::WORKERS, $redis);
        try {
            $script = __DIR__ . '/fixtures/fpm-worker.php';
            $query = http_build_query(['url' => $redis->target(), 'rounds' => 200]);
            $bursts = [];
            for ($i = 0; $i < 8; $i++) {
                $bursts[] = proc_open(
                    [PHP_BINARY, '-n', __DIR__ . '/fixtures/fcgi-burst.php', (string) $port, $script, $query, '10'],
                    [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                    $burstPipes
                );
                $outputs[] = $burstPipes;
            }
            $responses = [];
            foreach ($bursts as $i => $burst) {
                $out = (string) stream_get_contents($outputs[$i][1]);
                $err = (string) stream_get_contents($outputs[$i][2]);
                $this->assertSame(0, proc_close($burst), $err);
                foreach (array_filter(explode("\n", $out)) as $line) {
                    $responses[] = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
                }
            }
            $this->assertCount(80, $responses);
            $pids = [];
            foreach ($responses as $r) {
                $this->assertSame(0, $r['mismatches']);
                $this->assertSame(0, $r['errors']);
                $this->assertSame($r['pid'], $r['pool']['pid'], 'a worker used a pool it did not create');
                $this->assertLessThanOrEqual($r['pool']['size'], $r['pool']['connections_created']);
                $pids[$r['pid']] = true;
            }
            $this->assertGreaterThanOrEqual(2, count($pids), 'requests were not spread over workers');
            $this->assertNotContains($masterPid, array_keys($pids));
            // Connections persist across requests: at most one pool per worker
            // (on a cluster: per worker and node).
            foreach ($redis->masterAdmins() as $admin) {
                $clients = (int) $admin->infoField('clients', 'connected_clients');
                $this->assertLessThanOrEqual(self::WORKERS * 2 + 1, $clients, "clients of node {$admin->port}");
            }
            $log = (string) @file_get_contents("$dir/php-errors.log");
            $this->assertSame('', $log, 'PHP logged warnings or errors');
        } finally {
            self::stopFpm($master, $masterPid, $dir);
            $redis->release();
        }
    }

    /**
     * A fatal error inside a render skips the Rust destructors (the engine
     * longjmps): the worker's next request must not mistake the abandoned
     * render for its own (re-entry) and bypass the cache forever.
     */
    public function testAFatalErrorInARenderDoesNotLeaveTheWorkerBypassing(): void
    {
        $redis = RedisTestCase::topology();
        [$master, $masterPid, $port, $dir] = $this->startFpm(1, $redis);
        try {
            $script = __DIR__ . '/fixtures/fpm-render.php';
            $query = fn (string $mode) => http_build_query(['url' => $redis->target(), 'mode' => $mode]);
            $fatal = FastCgi::get($port, $script, $query('fatal'));
            $this->assertStringNotContainsString('rendered', $fatal['body']);
            $after = json_decode(FastCgi::get($port, $script, $query('render'))['body'], true);
            $this->assertSame(['html' => 'rendered', 'status' => 'miss'], $after);
        } finally {
            self::stopFpm($master, $masterPid, $dir);
            $redis->release();
        }
    }

    /** @param resource $master */
    private static function stopFpm($master, int $masterPid, string $dir): void
    {
        posix_kill($masterPid, SIGQUIT);
        proc_close($master);
        array_map('unlink', glob("$dir/*") ?: []);
        @rmdir($dir);
    }

    /** @return array{0: resource, 1: int, 2: int, 3: string} master, its pid, port, directory */
    private function startFpm(int $workers, Topology $redis): array
    {
        $settings = '';
        foreach ($redis->childIni() as $name => $value) {
            $settings .= "php_admin_value[$name] = $value\n";
        }
        $fpm = $this->fpmBinary();
        $dir = sys_get_temp_dir() . '/rp-fpm-' . getmypid() . '-' . $workers;
        @mkdir($dir, 0700, true);
        $port = RedisServer::freePort();
        file_put_contents("$dir/fpm.conf", <<<CONF
            [global]
            pid = $dir/fpm.pid
            error_log = $dir/fpm.log
            daemonize = no
            [test]
            listen = 127.0.0.1:$port
            pm = static
            pm.max_children = $workers
            catch_workers_output = yes
            php_admin_flag[log_errors] = on
            php_admin_value[error_log] = $dir/php-errors.log
            $settings
            CONF);
        // -n -d extension=…: the master loads the module (MINIT) before forking.
        $command = [$fpm, '-n', '-d', 'extension=' . PhpProcess::extension(), '-y', "$dir/fpm.conf", '-F', '-R'];
        $null = ['file', '/dev/null', 'a'];
        $master = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => $null], $pipes);
        $this->assertIsResource($master);
        $masterPid = (int) proc_get_status($master)['pid'];
        $this->waitForPort($port);
        return [$master, $masterPid, $port, $dir];
    }

    private function fpmBinary(): string
    {
        foreach (['/usr/sbin/php-fpm' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION, '/usr/sbin/php-fpm'] as $path) {
            if (is_executable($path)) {
                return $path;
            }
        }
        $this->fail('php-fpm is not installed (make deps installs it)');
    }

    private function waitForPort(int $port): void
    {
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            $socket = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, 0.2);
            if ($socket !== false) {
                fclose($socket);
                return;
            }
            usleep(50_000);
        }
        $this->fail("php-fpm did not listen on $port");
    }
}
