<?php

namespace RedisPersona\Tests\Support;

use RedisPersona\Client;

/**
 * What the tests run against: one redis-server or a Redis Cluster. Tests ask
 * it for a configured Client, for an admin connection of their own (which on
 * a cluster routes each command by its key's slot), and for how a child
 * process reaches the same Redis, so one test body runs on either.
 */
interface Topology
{
    /** 'single' or 'cluster'. */
    public function name(): string;

    /** The redis_mode INFO reports, which Client::health()['mode'] repeats. */
    public function mode(): string;

    /**
     * A Client on this topology. $db is a database of the single server;
     * a cluster has database 0 only, so there it is ignored (the class's
     * tests run one after another and flush what they count).
     *
     * @param array<string, mixed> $options
     */
    public function client(array $options = [], int $db = 0): Client;

    /** The test's own connection (SELECTed to $db on a single server). */
    public function admin(int $db = 0): Admin;

    /** @return list<Resp> one connection to each master, for per-node counts */
    public function masterAdmins(): array;

    /**
     * The url argument a child process passes to `new Client(...)`: the URL
     * on a single server, '' on a cluster (the child reads the cluster from
     * the INI settings childIni() gives it).
     */
    public function target(int $db = 0): string;

    /** @return array<string, string> INI settings that make target() work in a child */
    public function childIni(): array;

    /** @return array<string, string> INI settings with which `new Client()` reaches this topology */
    public function iniDefaults(int $db = 0): array;

    /** Deletes every key (every database, every master). */
    public function flush(): void;

    /** Called after a test class: a single server stops, a shared cluster stays. */
    public function release(): void;
}
