<?php

namespace RedisPersona;

/**
 * Redis answered, but refused to serve: a read-only replica (READONLY), out
 * of memory (OOM), unable to persist (MISCONF), an ACL without the command
 * (NOPERM), authentication required (NOAUTH), loading its dataset (LOADING),
 * a replica without its master (MASTERDOWN), busy with a script (BUSY), or a
 * cluster that is resharding or down (TRYAGAIN, CLUSTERDOWN).
 *
 * It is a ConnectionException, so code that falls back on an outage falls
 * back here too. LOADING, MASTERDOWN, BUSY, CLUSTERDOWN and NOAUTH open the
 * circuit breaker (every command would fail); READONLY, OOM, MISCONF,
 * NOPERM and TRYAGAIN do not (reads may keep working).
 *
 * @example try {
 *     $client->set('k', 'v');
 * } catch (\RedisPersona\UnavailableException $e) {
 *     error_log('Redis refused: ' . $e->getServerCode()); // 'READONLY', 'OOM', ...
 * }
 */
class UnavailableException extends ConnectionException
{
    /** @var string The Redis error code, as getServerCode() returns it. */
    protected $serverCode = '';

    /**
     * The Redis error code of the refusal: 'READONLY', 'OOM', 'MISCONF',
     * 'NOPERM', 'NOAUTH', 'LOADING', 'MASTERDOWN', 'BUSY', 'TRYAGAIN' or
     * 'CLUSTERDOWN'. Never throws.
     *
     * @example if ($e->getServerCode() === 'READONLY') { notify_failover(); }
     */
    public function getServerCode(): string
    {
    }
}
