<?php

namespace RedisPersona\Tests\Support;

use RedisPersona\Client;

/**
 * A private 3-master / 3-replica Redis Cluster on loopback, started with
 * scripts/redis-cluster.sh and stopped by pid (the script's pidfiles, never
 * by name) when the run ends, even when it ends on a failure or a fatal
 * error. The suite's cluster pass shares one (shared()); tests that kill or
 * pause nodes start their own, so they never disturb the others.
 */
final class RedisCluster implements Topology
{
    private static ?self $shared = null;

    /** @var list<int> the six ports, masters first as created */
    public array $ports;
    /**
     * When masters contradicted each other about a moved slot (from, to in
     * microtime): clients then meet MOVED loops no client can resolve.
     *
     * @var list<array{0: float, 1: float}>
     */
    public array $masterDisagreements = [];
    private string $dir;
    private int $owner;
    private bool $running = false;

    public function __construct(?string $dir = null)
    {
        $this->owner = getmypid();
        $this->dir = $dir ?? sys_get_temp_dir() . '/rp-php-cluster-' . getmypid() . '-' . bin2hex(random_bytes(3));
        $output = TopologyScript::run('redis-cluster.sh', 'start', $this->dir);
        $ports = array_map('intval', preg_split('/\s+/', trim($output)) ?: []);
        if (count($ports) !== 6) {
            throw new \RuntimeException("redis-cluster.sh printed no six ports: $output");
        }
        $this->ports = $ports;
        $this->running = true;
        foreach ($ports as $port) {
            self::forgetBreakerState($port);
        }
        register_shutdown_function([$this, 'stop']);
    }

    /**
     * The cluster the suite's cluster pass runs on: started on first use,
     * in RP_CLUSTER_DIR when the Makefile names it (so it can stop a cluster
     * a killed run left behind), stopped when PHPUnit exits.
     */
    public static function shared(): self
    {
        $dir = getenv('RP_CLUSTER_DIR');
        return self::$shared ??= new self($dir === false || $dir === '' ? null : $dir);
    }

    public static function selected(): bool
    {
        return getenv('RP_TEST_TOPOLOGY') === 'cluster';
    }

    public function name(): string
    {
        return 'cluster';
    }

    public function mode(): string
    {
        return 'cluster';
    }

    /** @return list<string> every node as a seed URL */
    public function seeds(): array
    {
        return array_map(fn (int $port) => "redis://127.0.0.1:$port", $this->ports);
    }

    public function client(array $options = [], int $db = 0): Client
    {
        return new Client(null, $options + ['cluster' => $this->seeds()]);
    }

    public function admin(int $db = 0): ClusterAdmin
    {
        return new ClusterAdmin($this->ports);
    }

    public function masterAdmins(): array
    {
        return array_map(fn (int $port) => new Resp($port), $this->masters());
    }

    public function target(int $db = 0): string
    {
        return '';
    }

    public function childIni(): array
    {
        return ['redis_persona.cluster' => implode(',', $this->seeds())];
    }

    public function iniDefaults(int $db = 0): array
    {
        return $this->childIni();
    }

    public function flush(): void
    {
        foreach ($this->masterAdmins() as $admin) {
            $admin->command('FLUSHALL');
        }
    }

    public function release(): void
    {
        // Shared by the whole pass; the next class flushes it.
    }

    /** @return list<array{id: string, port: int, role: string, master: string, failed: bool, slots: list<string>}> */
    public function nodes(): array
    {
        $text = null;
        foreach ($this->ports as $port) {
            try {
                $text = (string) (new Resp($port, 1.0))->command('CLUSTER', 'NODES');
                break;
            } catch (\RuntimeException $e) {
                continue; // a killed or paused node: ask the next
            }
        }
        if ($text === null) {
            throw new \RuntimeException('no cluster node answers');
        }
        $nodes = [];
        foreach (array_filter(explode("\n", trim($text))) as $line) {
            $f = explode(' ', trim($line));
            $flags = explode(',', $f[2]);
            $nodes[] = [
                'id' => $f[0],
                'port' => preg_match('/:(\d+)@/', $f[1], $m) === 1 ? (int) $m[1] : 0,
                'role' => in_array('master', $flags, true) ? 'master' : 'replica',
                'master' => $f[3],
                'failed' => in_array('fail', $flags, true) || in_array('fail?', $flags, true),
                'slots' => array_values(array_filter(array_slice($f, 8), fn ($s) => $s[0] !== '[')),
            ];
        }
        return $nodes;
    }

    /** @return list<int> ports of the masters serving slots, lowest slot first */
    public function masters(): array
    {
        $masters = [];
        foreach ($this->nodes() as $node) {
            if ($node['role'] === 'master' && !$node['failed'] && $node['slots'] !== []) {
                $masters[(int) $node['slots'][0]] = $node['port'];
            }
        }
        ksort($masters);
        return array_values($masters);
    }

    /** The port of the master serving $key's slot, as the cluster says. */
    public function masterOf(string $key): int
    {
        return $this->masterOfSlot(HashSlot::of($key));
    }

    public function masterOfSlot(int $slot): int
    {
        foreach ($this->nodes() as $node) {
            if ($node['role'] !== 'master' || $node['failed']) {
                continue;
            }
            foreach ($node['slots'] as $range) {
                [$from, $to] = array_map('intval', explode('-', $range) + [1 => $range]);
                if ($slot >= $from && $slot <= $to) {
                    return $node['port'];
                }
            }
        }
        throw new \RuntimeException("no master serves slot $slot");
    }

    /**
     * Moves one slot to the master on $to the way redis-cli --cluster
     * reshard does: IMPORTING on the target, MIGRATING on the source, MIGRATE
     * the keys in batches (clients meanwhile get ASK for keys already moved),
     * then SETSLOT NODE on the target, the source and the other masters
     * (clients then get MOVED). Returns the number of keys moved.
     */
    public function migrateSlot(int $slot, int $to): int
    {
        $from = $this->masterOfSlot($slot);
        if ($from === $to) {
            return 0;
        }
        $ids = array_column($this->nodes(), 'id', 'port');
        $source = new Resp($from);
        $target = new Resp($to);
        $target->command('CLUSTER', 'SETSLOT', (string) $slot, 'IMPORTING', $ids[$from]);
        $source->command('CLUSTER', 'SETSLOT', (string) $slot, 'MIGRATING', $ids[$to]);
        $moved = 0;
        while (($keys = $source->command('CLUSTER', 'GETKEYSINSLOT', (string) $slot, '50')) !== []) {
            $source->command('MIGRATE', '127.0.0.1', (string) $to, '', '0', '5000', 'KEYS', ...$keys);
            $moved += count($keys);
        }
        // The target's claim must outrank every older one: with the highest
        // config epoch of the cluster it does (SETSLOT NODE alone bumps it
        // only when another node's epoch is higher, and an equal one loses).
        $target->command('CLUSTER', 'BUMPEPOCH');
        $target->command('CLUSTER', 'SETSLOT', (string) $slot, 'NODE', $ids[$to]);
        $source->command('CLUSTER', 'SETSLOT', (string) $slot, 'NODE', $ids[$to]);
        foreach ($this->masters() as $port) {
            if ($port !== $to && $port !== $from) {
                (new Resp($port))->command('CLUSTER', 'SETSLOT', (string) $slot, 'NODE', $ids[$to]);
            }
        }
        return $moved;
    }

    /**
     * Moves each slot to its master (slot => port) with migrateSlot(), then
     * waits until every node's CLUSTER SLOTS agrees (the replicas learn by
     * gossip; a slot moved again before that can be claimed twice).
     * Returns the number of keys moved.
     *
     * @param array<int, int> $targets
     */
    public function migrateSlots(array $targets, float $timeout = 10.0): int
    {
        $moved = 0;
        foreach ($targets as $slot => $to) {
            $moved += $this->migrateSlot($slot, $to);
            $this->awaitOwner($slot, $to, $timeout);
        }
        return $moved;
    }

    /**
     * Waits until every node's CLUSTER SLOTS names $to as the slot's owner.
     * Slots moved back and forth quickly can leave a node trusting an older
     * claim whose config epoch is higher (SETSLOT NODE bumps the target's
     * epoch only when it is not already the highest); after a second of
     * disagreement the target takes the highest epoch (CLUSTER BUMPEPOCH)
     * and the masters that disagree are told again, as `redis-cli --cluster
     * fix` would.
     */
    private function awaitOwner(int $slot, int $to, float $timeout): void
    {
        $start = microtime(true);
        $fixed = false;
        $masters = $this->masters();
        $masterDisagreed = null;
        do {
            $views = [];
            foreach ($this->ports as $port) {
                $views[$port] = null;
                foreach ((new Resp($port))->command('CLUSTER', 'SLOTS') as $range) {
                    if ($slot >= $range[0] && $slot <= $range[1]) {
                        $views[$port] = (int) $range[2][1];
                    }
                }
            }
            $disagree = array_keys(array_filter($views, fn (?int $owner) => $owner !== $to));
            if ($disagree === []) {
                if ($masterDisagreed !== null) {
                    $this->masterDisagreements[] = [$masterDisagreed, microtime(true)];
                }
                return;
            }
            if (array_intersect($disagree, $masters) !== []) {
                $masterDisagreed ??= microtime(true);
            }
            if (!$fixed && microtime(true) - $start > 1.0) {
                $fixed = true;
                $ids = array_column($this->nodes(), 'id', 'port');
                $target = new Resp($to);
                $target->command('CLUSTER', 'BUMPEPOCH');
                foreach (array_intersect($disagree, $this->masters()) as $port) {
                    (new Resp($port))->command('CLUSTER', 'SETSLOT', (string) $slot, 'NODE', $ids[$to]);
                }
            }
            usleep(10000);
        } while (microtime(true) - $start < $timeout);
        throw new \RuntimeException("the nodes did not agree that $to serves slot $slot within $timeout s: " . json_encode($views));
    }

    /**
     * Waits until the cluster is in service for a failover test: every slot
     * served, a write made, and every replica listed (so it has replicated
     * something and can take over with data).
     */
    public function awaitInService(): void
    {
        $this->waitHealthy();
        $this->admin()->command('SET', 'in-service', '1');
        $this->awaitReplicasListed();
    }

    /**
     * Waits until every node's CLUSTER SLOTS lists a replica for each range
     * (Redis 7.0 leaves out a replica whose replication offset is still 0).
     */
    public function awaitReplicasListed(float $timeout = 10.0): void
    {
        $deadline = microtime(true) + $timeout;
        do {
            $listed = true;
            foreach ($this->ports as $port) {
                foreach ((new Resp($port))->command('CLUSTER', 'SLOTS') as $range) {
                    $listed = $listed && count($range) >= 4;
                }
            }
            if ($listed) {
                return;
            }
            usleep(50000);
        } while (microtime(true) < $deadline);
        throw new \RuntimeException("CLUSTER SLOTS did not list the replicas within $timeout s");
    }

    /** The port of a replica of the master on $masterPort. */
    public function replicaOf(int $masterPort): int
    {
        $nodes = $this->nodes();
        $id = array_column($nodes, 'id', 'port')[$masterPort] ?? '';
        foreach ($nodes as $node) {
            if ($node['role'] === 'replica' && $node['master'] === $id && !$node['failed']) {
                return $node['port'];
            }
        }
        throw new \RuntimeException("the master on $masterPort has no replica");
    }

    public function pid(int $port): int
    {
        return (int) @file_get_contents("{$this->dir}/node-$port.pid");
    }

    public function pause(int $port): void
    {
        posix_kill($this->pid($port), SIGSTOP);
    }

    public function resume(int $port): void
    {
        posix_kill($this->pid($port), SIGCONT);
    }

    public function kill(int $port): void
    {
        $pid = $this->pid($port);
        posix_kill($pid, SIGCONT);
        posix_kill($pid, SIGKILL);
        for ($i = 0; $i < 200 && self::alive($pid); $i++) {
            usleep(10000);
        }
    }

    /**
     * Whether the process runs: a killed daemon stays a zombie until init
     * reaps it, and kill($pid, 0) still finds a zombie.
     */
    public static function alive(int $pid): bool
    {
        $stat = @file_get_contents("/proc/$pid/stat");
        return $stat !== false && preg_match('/^\d+ \(.*\) [ZX] /s', $stat) !== 1;
    }

    /** Starts a killed node again (its nodes.conf makes it rejoin). */
    public function restartNode(int $port): void
    {
        TopologyScript::run('redis-cluster.sh', 'restart-node', $this->dir, (string) $port);
    }

    /**
     * Waits until every slot is served by a live master and every node
     * agrees the cluster is ok; returns the seconds it took.
     */
    public function waitHealthy(float $timeout = 20.0): float
    {
        $start = microtime(true);
        while (microtime(true) - $start < $timeout) {
            try {
                $ok = true;
                foreach ($this->ports as $port) {
                    if (!self::alive($this->pid($port))) {
                        continue;
                    }
                    $info = (string) (new Resp($port, 1.0))->command('CLUSTER', 'INFO');
                    $ok = $ok && str_contains($info, 'cluster_state:ok');
                }
                if ($ok && count($this->masters()) === 3) {
                    return microtime(true) - $start;
                }
            } catch (\RuntimeException $e) {
                // a node still starting or paused: ask again
            }
            usleep(100000);
        }
        throw new \RuntimeException("the cluster did not become healthy within $timeout s");
    }

    public function stop(): void
    {
        if (!$this->running || getmypid() !== $this->owner) {
            return;
        }
        $this->running = false;
        TopologyScript::run('redis-cluster.sh', 'stop', $this->dir);
        foreach ($this->ports as $port) {
            self::forgetBreakerState($port);
        }
        array_map('unlink', glob($this->dir . '/*') ?: []);
        @rmdir($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }


    /** The extension's per-node breaker files (see RedisServer). */
    public static function forgetBreakerState(int $port): void
    {
        RedisServer::forgetBreakerStateOf($port);
    }
}
