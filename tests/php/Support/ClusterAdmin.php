<?php

namespace RedisPersona\Tests\Support;

/**
 * The tests' own look at a Redis Cluster, with Resp's interface: each keyed
 * command goes to the master serving its key's slot (HashSlot, computed
 * here), following MOVED and ASK like any cluster client; the commands about
 * the whole data set fan out over the masters: DBSIZE is summed, SCAN from
 * cursor 0 returns every master's matches at once with cursor 0, FLUSHALL,
 * FLUSHDB and CONFIG run on each, and INFO's numbers are summed. It is
 * independent of the extension under test, so it can check what it stored.
 */
final class ClusterAdmin implements Admin
{
    /** Commands whose second argument is not a key. */
    private const KEYLESS = [
        'PING', 'TIME', 'ECHO', 'CLIENT', 'CLUSTER', 'PUBLISH', 'SCRIPT', 'FUNCTION',
        'SUBSCRIBE', 'PSUBSCRIBE', 'LASTSAVE', 'SLOWLOG', 'COMMAND',
    ];

    /** Multi-key commands answering how many keys they found. */
    private const KEY_COUNTING = ['DEL', 'UNLINK', 'EXISTS', 'TOUCH'];

    /** Commands whose key follows a subcommand: MEMORY USAGE key, OBJECT ENCODING key. */
    private const KEY_AFTER_SUBCOMMAND = ['MEMORY', 'OBJECT'];

    /** @var array<int, Resp> */
    private array $connections = [];
    /** @var list<array{0: int, 1: int, 2: int}> slot ranges and their master's port */
    private array $slots = [];
    private ?Resp $subscribed = null;
    /** @var array<int, int> slots a MOVED reply moved since the slot map was read */
    private array $movedTo = [];

    /** @param list<int> $ports any nodes of the cluster */
    public function __construct(private array $ports)
    {
        $this->refresh();
    }

    /** @return mixed */
    public function command(string ...$args)
    {
        if ($args === []) {
            // The next message of a subscription (see Resp::command()).
            if ($this->subscribed === null) {
                throw new \RuntimeException('no subscription to read from');
            }
            return $this->subscribed->command();
        }
        $name = strtoupper($args[0]);
        switch ($name) {
            case 'DBSIZE':
                return array_sum($this->onMasters($args));
            case 'FLUSHALL':
            case 'FLUSHDB':
            case 'CONFIG':
                return $this->onMasters($args)[0];
            case 'SCAN':
                return $this->scanAll($args);
            case 'INFO':
                return self::mergeInfo(array_map('strval', $this->onMasters($args)));
            case 'SELECT':
                if (($args[1] ?? '0') !== '0') {
                    throw new \RuntimeException('a Redis Cluster has database 0 only');
                }
                return 'OK';
            case 'SUBSCRIBE':
            case 'PSUBSCRIBE':
                // Classic pub/sub messages reach every node of the cluster.
                $this->subscribed = new Resp($this->masterPorts()[0]);
                return $this->subscribed->command(...$args);
        }
        if (count($args) < 2 || in_array($name, self::KEYLESS, true)) {
            return $this->connection($this->masterPorts()[0])->command(...$args);
        }
        if (in_array($name, self::KEY_COUNTING, true) && count($args) > 2) {
            // Keys of several slots: one command per key, the counts summed.
            return array_sum(array_map(fn (string $key) => $this->routed($key, [$args[0], $key]), array_slice($args, 1)));
        }
        if (in_array($name, self::KEY_AFTER_SUBCOMMAND, true)) {
            return $this->routed($args[2] ?? '', $args);
        }
        return $this->routed($args[1], $args);
    }

    public function infoField(string $section, string $field): string
    {
        $info = (string) $this->command('INFO', $section);
        if (!preg_match('/^' . preg_quote($field, '/') . ':(.*)$/m', $info, $m)) {
            throw new \RuntimeException("INFO $section has no $field");
        }
        return trim($m[1]);
    }

    public function fanOut(): int
    {
        return count($this->masterPorts());
    }

    /** @return list<int> the ports of the masters serving slots */
    public function masterPorts(): array
    {
        return array_values(array_unique(array_column($this->slots, 2)));
    }

    /**
     * @param list<string> $args
     * @return mixed
     */
    private function routed(string $key, array $args)
    {
        $slot = HashSlot::of($key);
        $last = null;
        for ($attempt = 0; $attempt < 20; $attempt++) {
            $port = $this->ownerOf($slot);
            try {
                return $this->connection($port)->command(...$args);
            } catch (\RuntimeException $e) {
                $last = $e;
                $message = $e->getMessage();
                if (preg_match('/^Redis error: ASK \d+ [^:]+:(\d+)/', $message, $m) === 1) {
                    $target = $this->connection((int) $m[1]);
                    $target->command('ASKING');
                    return $target->command(...$args);
                }
                if (preg_match('/^Redis error: MOVED \d+ [^:]+:(\d+)/', $message, $m) === 1) {
                    // The node that answers knows best; a slot map read
                    // from another node may not have caught up yet.
                    $this->movedTo[$slot] = (int) $m[1];
                    usleep($attempt < 3 ? 0 : 50000); // nodes that disagree for a moment
                    continue;
                }
                if (str_starts_with($message, 'Redis error: TRYAGAIN') || str_starts_with($message, 'Redis error: CLUSTERDOWN')) {
                    usleep(100000);
                    continue;
                }
                if (str_starts_with($message, 'Redis error:')) {
                    throw $e;
                }
                // The connection failed (a node was killed): ask again.
                unset($this->connections[$port]);
                usleep(100000);
                $this->refresh();
            }
        }
        throw $last ?? new \RuntimeException("slot $slot unreachable");
    }

    /**
     * @param list<string> $args
     * @return list<mixed> each master's reply
     */
    private function onMasters(array $args): array
    {
        return array_map(fn (int $port) => $this->connection($port)->command(...$args), $this->masterPorts());
    }

    /**
     * @param list<string> $args SCAN 0 [MATCH p] [COUNT n] [TYPE t]
     * @return array{0: string, 1: list<string>}
     */
    private function scanAll(array $args): array
    {
        if ($args[1] !== '0') {
            throw new \RuntimeException('ClusterAdmin scans from cursor 0 only (it returns everything at once)');
        }
        $keys = [];
        foreach ($this->masterPorts() as $port) {
            $cursor = '0';
            do {
                $args[1] = $cursor;
                [$cursor, $batch] = $this->connection($port)->command(...$args);
                array_push($keys, ...$batch);
            } while ($cursor !== '0');
        }
        return ['0', $keys];
    }

    /**
     * One INFO text from each master's: numbers are summed, and so are the
     * numbers of `name=value,...` fields (commandstats, keyspace); other
     * values are the first master's.
     *
     * @param list<string> $texts
     */
    public static function mergeInfo(array $texts): string
    {
        $fields = [];
        $order = [];
        foreach ($texts as $text) {
            foreach (preg_split('/\r?\n/', $text) ?: [] as $line) {
                if ($line === '' || $line[0] === '#' || !str_contains($line, ':')) {
                    $order[$line] ??= null;
                    continue;
                }
                [$name, $value] = explode(':', $line, 2);
                $order[$name] ??= $name;
                $fields[$name] = isset($fields[$name]) ? self::sum($fields[$name], $value) : $value;
            }
        }
        $lines = [];
        foreach ($order as $line => $name) {
            $lines[] = $name === null ? (string) $line : "$name:{$fields[$name]}";
        }
        return implode("\r\n", $lines);
    }

    private static function sum(string $a, string $b): string
    {
        if (is_numeric($a) && is_numeric($b)) {
            return (string) ($a + $b);
        }
        if (str_contains($a, '=')) {
            $left = self::pairs($a);
            $right = self::pairs($b);
            $parts = [];
            foreach ($left as $k => $v) {
                $w = $right[$k] ?? null;
                $parts[] = "$k=" . (is_numeric($v) && is_numeric($w) ? (string) ($v + $w) : $v);
            }
            return implode(',', $parts);
        }
        return $a;
    }

    /** @return array<string, string> */
    private static function pairs(string $value): array
    {
        $pairs = [];
        foreach (explode(',', $value) as $pair) {
            [$k, $v] = explode('=', $pair, 2) + [1 => ''];
            $pairs[$k] = $v;
        }
        return $pairs;
    }

    private function ownerOf(int $slot): int
    {
        if (isset($this->movedTo[$slot])) {
            return $this->movedTo[$slot];
        }
        foreach ($this->slots as [$from, $to, $port]) {
            if ($slot >= $from && $slot <= $to) {
                return $port;
            }
        }
        $this->refresh();
        foreach ($this->slots as [$from, $to, $port]) {
            if ($slot >= $from && $slot <= $to) {
                return $port;
            }
        }
        throw new \RuntimeException("no master serves slot $slot");
    }

    private function connection(int $port): Resp
    {
        return $this->connections[$port] ??= new Resp($port, 2.0);
    }

    /** Reads the slot map (CLUSTER SLOTS) from the first node that answers. */
    private function refresh(): void
    {
        foreach (array_unique([...array_keys($this->connections), ...$this->ports]) as $port) {
            try {
                $reply = $this->connection($port)->command('CLUSTER', 'SLOTS');
            } catch (\RuntimeException $e) {
                unset($this->connections[$port]);
                continue;
            }
            $slots = [];
            foreach ($reply as $range) {
                $slots[] = [(int) $range[0], (int) $range[1], (int) $range[2][1]];
            }
            if ($slots !== []) {
                usort($slots, fn ($a, $b) => $a[0] <=> $b[0]);
                $this->slots = $slots;
                $this->movedTo = [];
                return;
            }
        }
        throw new \RuntimeException('no cluster node answers CLUSTER SLOTS');
    }
}
