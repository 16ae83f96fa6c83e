<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * A connection to Redis, pooled and persistent per PHP process: one server, a
 * Redis Cluster (option `cluster`), or the master of a service watched by
 * Sentinel (options `sentinel` and `service`). Every class of the extension
 * works unchanged on each; on a cluster, calls go to the master owning their
 * keys' hash slot (MOVED/ASK followed), and work over several slots is sent as
 * one pipeline per master. Each node has its own pool and circuit breaker.
 *
 * Cheap to construct on every request: no I/O happens in the constructor, and
 * every Client of the process with the same server settings shares one pool
 * of at most `pool_size` connections, created on first use and kept across
 * requests. A circuit breaker makes calls fail fast (ConnectionException)
 * for `retry_interval_ms` after Redis failed, then lets one call probe with a
 * PING limited to `probe_timeout_ms`; each probe that times out doubles the
 * interval (up to 30 s), one refused at once keeps it. The breaker's state is shared by all PHP processes of the
 * user on the machine (a file in /dev/shm): one PHP-FPM worker's failure
 * makes the others fail fast without trying.
 *
 * @example $client = new \RedisPersona\Client(); // redis_persona.url, or redis://127.0.0.1:6379
 * @example $cluster = new \RedisPersona\Client(null, ['cluster' => ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000']]);
 * @example $ha = new \RedisPersona\Client('redis://:secret@master/0', ['sentinel' => ['redis://10.0.0.5:26379'], 'service' => 'mymaster']);
 */
final class Client
{
    /**
     * @param string|null $url `redis://[user:pass@]host:port/db`, `rediss://…` (TLS) or
     *                         `unix:///path/to.sock?db=N`; null or '' uses the INI
     *                         setting `redis_persona.url`, then `redis://127.0.0.1:6379`.
     * @param array{connect_timeout_ms?: int, read_timeout_ms?: int, pool_size?: int,
     *              prefix?: string, retry_interval_ms?: int, probe_timeout_ms?: int,
     *              cluster?: list<string>, sentinel?: list<string>, service?: string,
     *              read_from_replicas?: bool} $options
     *        Each overrides its INI setting; 0 means the default. `prefix`: 1-64 of
     *        letters, digits, `_ - .` (no `:`, which would let one prefix's keys
     *        overlap another's). `probe_timeout_ms` (default 100, at most the read
     *        timeout) bounds the breaker's recovery probe; a call that hears
     *        nothing, while nobody on the machine hears from the server, for
     *        twice as long ends early as a timeout (a frozen server).
     *        `cluster`: seed URLs of a Redis Cluster (`redis://` or `rediss://`, with
     *        optional `user:pass@`, database 0); every node found is reached with the
     *        first seed's scheme and credentials. Not together with `$url`.
     *        `sentinel`: sentinel URLs (their `user:pass@` is the sentinels' own auth)
     *        and `service`: the master's name; `$url`, when given, supplies the data
     *        nodes' scheme, credentials and database (its host is not used).
     *        `read_from_replicas` (cluster or Sentinel, default false): cache reads
     *        (PersonaCache::get) may be served by replicas, as stale as their
     *        replication lag; writes, locks, codes and fences always use the master.
     *        Timeouts, `pool_size` and the breaker apply per node.
     * @throws \ValueError When the URL or an option is invalid; the message names it.
     * @example $client = new \RedisPersona\Client('redis://127.0.0.1:6379/0', ['prefix' => 'shop']);
     */
    public function __construct(?string $url = null, array $options = [])
    {
    }

    /**
     * Sends one PING.
     *
     * @return float The round trip in milliseconds.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example printf("Redis answered in %.3f ms\n", $client->ping());
     */
    public function ping(): float
    {
    }

    /**
     * Whether Redis can be used now. Never throws.
     *
     * No network I/O while the circuit breaker is open, nor when the server
     * answered within the last retry interval; otherwise one PING decides.
     *
     * @example $mode = $client->isAvailable() ? 'redis' : 'fallback';
     */
    public function isAvailable(): bool
    {
    }

    /**
     * A health report. Never throws: when Redis is down, `status` is 'down'
     * and `error` says why.
     *
     * @return array{status: string, url: string, prefix: string, latency_ms: float|null,
     *     server_version: string|null, mode: string|null, uptime_seconds: int|null,
     *     connected_clients: int|null,
     *     memory: array{used: int|null, peak: int|null, max: int|null, policy: string|null},
     *     pool: array{pid: int, size: int, idle: int, in_use: int, connections_created: int,
     *         connections_discarded: int}|null,
     *     breaker: array{state: string, consecutive_failures: int, times_opened: int,
     *         retry_in_ms: float, retry_interval_ms: int, times_opened_shared: int,
     *         failed_pid: int, shared: string|null, last_error: string|null}|null,
     *     error: string|null,
     *     topology: array{mode: string, service: string|null,
     *         nodes: list<array{address: string, role: string, slots: string, breaker: string,
     *             connections: int}>,
     *         answered_by: string|null, failovers: int, refreshes: int,
     *         read_from_replicas: bool}}
     *     `topology.mode` is 'single', 'cluster' or 'sentinel'; `nodes` lists masters (with
     *     their slot ranges on a cluster), replicas and sentinels as this process last saw
     *     them, each with this process's breaker state and open connections; `pool` and
     *     `breaker` describe the node that answered last (`answered_by`); `failovers` counts
     *     master changes this process followed.
     * @example if ($client->health()['status'] !== 'ok') { error_log('Redis is down'); }
     */
    public function health(): array
    {
    }

    /**
     * Reads a value stored with set().
     *
     * @param string $key 1-200 bytes of letters, digits and `_ . : / -`; stored under `{prefix}:kv:`.
     * @return string|null The value (binary-safe), or null when there is none.
     * @throws \ValueError When the key is invalid.
     * @throws ConnectionException When Redis is unavailable.
     * @example $html = $client->get('banner:home') ?? render_banner();
     */
    public function get(string $key): ?string
    {
    }

    /**
     * Stores a binary-safe value (at most 8 MiB) that expires after $ttl seconds.
     *
     * @param int $ttl 1 second to 30 days.
     * @throws \ValueError When the key, value size or TTL is invalid.
     * @throws ConnectionException When Redis is unavailable.
     * @example $client->set('banner:home', $html, 300);
     */
    public function set(string $key, string $value, int $ttl = 3600): bool
    {
    }

    /**
     * Removes a value stored with set().
     *
     * @return bool True when the key existed.
     * @throws \ValueError When the key is invalid.
     * @throws ConnectionException When Redis is unavailable.
     * @example $client->delete('banner:home');
     */
    public function delete(string $key): bool
    {
    }

    /**
     * Deletes every key under this client's prefix: cache, locks, codes,
     * rate limits and values. Walks the keyspace with SCAN (never KEYS) and
     * deletes in batches with UNLINK; meant for uninstalling a site, not for
     * a request path. Keys of other prefixes are untouched. On a cluster it
     * walks every master (one UNLINK per hash slot).
     *
     * @return int How many keys were deleted.
     * @throws ConnectionException When Redis is unavailable.
     * @example $deleted = (new RedisPersona\Client(null, ['prefix' => 'site1']))->purge();
     */
    public function purge(): int
    {
    }

    /**
     * The key prefix this client writes under (option `prefix`, INI
     * `redis_persona.prefix`, default `rp`). Never throws.
     *
     * @example echo $client->prefix(); // "rp"
     */
    public function prefix(): string
    {
    }
}
