<?php

namespace RedisPersona\Tests\Support;

use RedisPersona\Client;

/**
 * A real redis-server on a free loopback port, started for a test and
 * stopped by pid (never by name) when the test is done or the process exits.
 */
final class RedisServer implements Topology
{
    public int $port;
    /** @var resource|null */
    private $process = null;
    private int $pid = 0;
    private int $owner;
    private string $dir;

    public function __construct(?int $port = null)
    {
        $this->port = $port ?? self::freePort();
        $this->owner = getmypid();
        if ($port === null) {
            // A fresh server on a reused port: an earlier server's breaker
            // state (left by a run that never reached __destruct, such as the
            // Rust tests or a killed run) would make its first calls fail fast.
            $this->forgetBreakerState();
        }
        $this->dir = sys_get_temp_dir() . '/rp-php-redis-' . getmypid() . '-' . $this->port;
        if (!is_dir($this->dir)) {
            mkdir($this->dir, 0700, true);
        }
        $this->start();
    }

    /**
     * A free loopback port, with no circuit-breaker state left for it: an
     * earlier test (or run) whose server on this port died left an open or
     * half-open breaker in /dev/shm, which made a test expecting a fresh
     * breaker (one that opens, and logs that it opened) fail now and then.
     */
    public static function freePort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($server === false) {
            throw new \RuntimeException("no free port: $error");
        }
        $name = (string) stream_socket_get_name($server, false);
        fclose($server);
        $port = (int) substr($name, strrpos($name, ':') + 1);
        self::forgetBreakerStateOf($port);
        return $port;
    }

    public function start(): void
    {
        $command = [
            'redis-server', '--port', (string) $this->port, '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--daemonize', 'no',
            '--loglevel', 'warning', '--dir', $this->dir,
        ];
        $null = ['file', '/dev/null', 'a'];
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => $null], $pipes);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start redis-server');
        }
        $this->process = $process;
        $this->pid = (int) proc_get_status($process)['pid'];
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            try {
                if ((new Resp($this->port, 0.5))->command('PING') === 'PONG') {
                    return;
                }
            } catch (\RuntimeException $e) {
                usleep(20000);
            }
        }
        throw new \RuntimeException("redis-server did not start on port {$this->port}");
    }

    public function url(string $path = ''): string
    {
        return "redis://127.0.0.1:{$this->port}" . $path;
    }

    public function admin(int $db = 0): Resp
    {
        $admin = new Resp($this->port);
        if ($db !== 0) {
            $admin->command('SELECT', (string) $db);
        }
        return $admin;
    }

    public function name(): string
    {
        return 'single';
    }

    public function mode(): string
    {
        return 'standalone';
    }

    public function client(array $options = [], int $db = 0): Client
    {
        return new Client($this->target($db), $options);
    }

    public function masterAdmins(): array
    {
        return [$this->admin()];
    }

    public function target(int $db = 0): string
    {
        return $this->url($db === 0 ? '' : "/$db");
    }

    public function childIni(): array
    {
        return [];
    }

    public function iniDefaults(int $db = 0): array
    {
        return ['redis_persona.url' => $this->target($db)];
    }

    public function flush(): void
    {
        $this->admin()->command('FLUSHALL');
    }

    public function release(): void
    {
        $this->stop();
    }

    public function pause(): void
    {
        posix_kill($this->pid, SIGSTOP);
    }

    public function resume(): void
    {
        posix_kill($this->pid, SIGCONT);
    }

    public function stop(): void
    {
        if ($this->process === null || getmypid() !== $this->owner) {
            return;
        }
        posix_kill($this->pid, SIGCONT);
        posix_kill($this->pid, SIGKILL);
        proc_close($this->process);
        $this->process = null;
    }

    public function restart(): void
    {
        $this->stop();
        $this->start();
    }

    public function __destruct()
    {
        $this->stop();
        if (getmypid() === $this->owner && is_dir($this->dir)) {
            array_map('unlink', glob($this->dir . '/*') ?: []);
            @rmdir($this->dir);
        }
        if (getmypid() === $this->owner) {
            $this->forgetBreakerState();
        }
    }

    /**
     * Deletes the circuit-breaker state the extension shares for this address
     * (one small file per server in /dev/shm), so the next server on this
     * port starts with a closed breaker and nothing piles up.
     */
    private function forgetBreakerState(): void
    {
        self::forgetBreakerStateOf($this->port);
    }

    public static function forgetBreakerStateOf(int $port): void
    {
        $uid = function_exists('posix_geteuid') ? posix_geteuid() : 0;
        array_map('unlink', glob("/dev/shm/redis-persona-$uid-Tcp-127.0.0.1-$port-*") ?: []);
    }
}
