<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Locks on booking slots: at most one holder per (date, time, resource).
 *
 * Every operation is one atomic Redis script. Only the holder's token
 * releases or extends a lock. `fence` is a per-slot integer (a hybrid
 * logical clock in milliseconds) that strictly increases with every
 * successful acquire, so a booking write can refuse a holder whose lock has
 * been taken over:
 * `fence = max(last fence + 1, Redis's clock in ms, this server's clock in ms, $minFence)`.
 * The last fence is kept only while it is ahead of Redis's clock, so a
 * released slot leaves no key behind. See the README's guarantees for what
 * holds across the database fallback and a loss of Redis data.
 *
 * Each acquire, release, extend and observed expiry publishes JSON on the
 * channel `{prefix}:lk:{DATE:RESOURCE}:events`:
 * one JSON object per event,
 * `{"event": "acquired|released|extended|expired", "date", "resource", "time",
 * "owner", "fence", "expires_at_ms"}` (`fence` and `expires_at_ms` integers,
 * the other fields strings; the holder's three fields are absent when the
 * holder is unknown). Parse it as JSON: the order of the fields is not fixed.
 *
 * Arguments: `$date` a real `YYYY-MM-DD`; `$time` `HH:MM` from 00:00 to 23:59;
 * `$resource` 1–64 characters of `A-Z a-z 0-9 _ . -`; `$owner` 1–200 bytes of
 * UTF-8 without control characters; `$ttl` 1 s to 1 day. Anything else
 * throws \ValueError naming the argument.
 *
 * @example $locks = new \RedisPersona\SlotLock(new \RedisPersona\Client(), ['ttl' => 600]);
 */
final class SlotLock
{
    /**
     * No I/O happens here.
     *
     * @param array{ttl?: int} $options `ttl`: default lock lifetime in seconds (default 600; 0 means the default).
     * @throws \ValueError When an option is unknown or out of range.
     * @example $locks = new \RedisPersona\SlotLock($client);
     */
    public function __construct(Client $client, array $options = [])
    {
    }

    /**
     * Takes the slot if nobody holds it (SET NX PX, fence and index in one script).
     *
     * @param int|null $ttl Lock lifetime in seconds (1 s to 1 day); null for the default.
     * @param int $minFence The fence is at least this (0 to 90 000 000 000 000): pass the
     *        highest fence your database knows for the slot, plus one.
     * @return array{token: string, fence: int, expires_at: float}|null null when someone else holds it.
     *         `token` is 128 random bits as 32 hex characters; `expires_at` a Unix timestamp.
     * @throws \ValueError When an argument is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $lock = $locks->acquire('2026-12-24', '10:30', 'room-1', 'guest-42') ?? throw new SlotTaken();
     */
    public function acquire(string $date, string $time, string $resource, string $owner, ?int $ttl = null, int $minFence = 0): ?array
    {
    }

    /**
     * Releases the slot if `$token` still holds it.
     *
     * @return bool false when the token does not hold it (expired, released, or taken over).
     * @throws \ValueError When an argument is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $locks->release('2026-12-24', '10:30', 'room-1', $lock['token']);
     */
    public function release(string $date, string $time, string $resource, string $token): bool
    {
    }

    /**
     * Sets the lock to expire `$ttl` seconds from now if `$token` still holds it.
     *
     * @return bool false when the token does not hold it.
     * @throws \ValueError When an argument is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $locks->extend('2026-12-24', '10:30', 'room-1', $lock['token'], 300);
     */
    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
    }

    /**
     * Who holds the slot now; an expired lock is never reported.
     *
     * @return array{owner: string, fence: int, expires_at: float, remaining_ms: int}|null
     * @throws \ValueError When an argument is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $holder = $locks->holder('2026-12-24', '10:30', 'room-1');
     */
    public function holder(string $date, string $time, string $resource): ?array
    {
    }

    /**
     * The held times of a day for a resource, sorted by time, from the
     * per-day index (no SCAN). Expired locks are never listed.
     *
     * @return list<array{time: string, owner: string, fence: int, expires_at: float, remaining_ms: int}>
     * @throws \ValueError When an argument is invalid.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $taken = array_column($locks->locked('2026-12-24', 'room-1'), 'time');
     */
    public function locked(string $date, string $resource): array
    {
    }
}
