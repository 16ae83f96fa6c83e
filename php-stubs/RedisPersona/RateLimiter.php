<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Rate limiting with GCRA: a burst of up to `$limit` attempts per key, then
 * one every `$windowSeconds / $limit` seconds. Each attempt is one atomic
 * Redis script, exact under any concurrency, and a key costs constant
 * memory (one short string) whatever the limit. Refused attempts are not
 * counted. Keys (IPs, emails) are hashed in Redis.
 *
 * Exact semantics (T = window / limit, now = Redis's clock in ms, tat the
 * stored "theoretical arrival time"): tat = max(stored tat or now, now);
 * new_tat = tat + T; allowed iff new_tat - now <= window; if allowed, tat
 * becomes new_tat (the key expires at new_tat), `remaining` =
 * floor((window - (new_tat - now)) / T); if refused, nothing changes and
 * `retry_after` = ceil((new_tat - now - window) / 1000) seconds (at least 1).
 *
 * @example $limiter = new \RedisPersona\RateLimiter(new \RedisPersona\Client(), 'otp-request', 5, 3600);
 */
final class RateLimiter
{
    /**
     * No I/O happens here.
     *
     * @param string $name 1–64 characters of `A-Z a-z 0-9 _ . -`, naming the limit.
     * @param int $limit 1 to 100 000.
     * @param int $windowSeconds 1 s to 30 days.
     * @throws \ValueError When an argument is out of range.
     * @example $limiter = new \RedisPersona\RateLimiter($client, 'login', 10, 60);
     */
    public function __construct(Client $client, string $name, int $limit, int $windowSeconds)
    {
    }

    /**
     * Counts an attempt for `$key` (1–1024 bytes) if the limit allows it.
     *
     * @return array{allowed: bool, remaining: int, retry_after: float}
     *         `remaining` attempts that would be allowed right now; `retry_after`
     *         whole seconds until the next attempt would be allowed (0.0 when allowed).
     * @throws \ValueError When the key is empty or too long.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $r = $limiter->attempt($_SERVER['REMOTE_ADDR']); if (!$r['allowed']) { header('Retry-After: ' . ceil($r['retry_after'])); }
     */
    public function attempt(string $key): array
    {
    }

    /**
     * Forgets every attempt of `$key`: it gets a full burst again.
     *
     * @throws \ValueError When the key is empty or too long.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $limiter->reset($email);
     */
    public function reset(string $key): void
    {
    }
}
