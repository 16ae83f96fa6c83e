<?php

namespace RedisPersona\Tests\Support;

use RedisPersona\Client;

/**
 * A private Sentinel setup on loopback (scripts/redis-sentinel.sh): one
 * master, two replicas and three sentinels watching service `rp-master`,
 * stopped by pid when the test is done or the process exits.
 */
final class RedisSentinel
{
    public const SERVICE = 'rp-master';

    /** @var list<int> master, replica, replica, sentinel, sentinel, sentinel */
    public array $ports;
    private string $dir;
    private int $owner;
    private bool $running = false;

    public function __construct()
    {
        $this->owner = getmypid();
        $this->dir = sys_get_temp_dir() . '/rp-php-sentinel-' . getmypid() . '-' . bin2hex(random_bytes(3));
        $out = TopologyScript::run('redis-sentinel.sh', 'start', $this->dir);
        $this->ports = array_map('intval', preg_split('/\s+/', trim($out)) ?: []);
        if (count($this->ports) !== 6) {
            throw new \RuntimeException("redis-sentinel.sh printed no six ports: $out");
        }
        $this->running = true;
        foreach ($this->ports as $port) {
            RedisCluster::forgetBreakerState($port);
        }
        register_shutdown_function([$this, 'stop']);
    }

    /** @return list<string> */
    public function sentinels(): array
    {
        return array_map(fn (int $port) => "redis://127.0.0.1:$port", array_slice($this->ports, 3));
    }

    /** @param array<string, mixed> $options */
    public function client(array $options = []): Client
    {
        return new Client(null, $options + ['sentinel' => $this->sentinels(), 'service' => self::SERVICE]);
    }

    /** @return array<string, string> */
    public function childIni(): array
    {
        return [
            'redis_persona.sentinel' => implode(',', $this->sentinels()),
            'redis_persona.sentinel_service' => self::SERVICE,
        ];
    }

    /** The master's port as the first sentinel that answers says. */
    public function masterPort(): int
    {
        foreach (array_slice($this->ports, 3) as $port) {
            try {
                $reply = (new Resp($port, 1.0))->command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', self::SERVICE);
                return (int) $reply[1];
            } catch (\RuntimeException $e) {
                continue;
            }
        }
        throw new \RuntimeException('no sentinel answers');
    }

    public function kill(int $port): void
    {
        $pid = (int) @file_get_contents("{$this->dir}/node-$port.pid");
        posix_kill($pid, SIGKILL);
        for ($i = 0; $i < 200 && RedisCluster::alive($pid); $i++) {
            usleep(10000);
        }
    }

    public function restartNode(int $port): void
    {
        TopologyScript::run('redis-sentinel.sh', 'restart-node', $this->dir, (string) $port);
    }

    public function stop(): void
    {
        if (!$this->running || getmypid() !== $this->owner) {
            return;
        }
        $this->running = false;
        TopologyScript::run('redis-sentinel.sh', 'stop', $this->dir);
        foreach ($this->ports as $port) {
            RedisCluster::forgetBreakerState($port);
        }
        array_map('unlink', glob($this->dir . '/*') ?: []);
        @rmdir($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
