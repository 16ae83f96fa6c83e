<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * Sliding-window rate limiting: at most `$limit` allowed attempts per key in
 * any window of `$windowSeconds`. Each attempt is one atomic Redis script,
 * exact under any concurrency. Refused attempts are not counted, so a
 * client that keeps trying gets in again as soon as its oldest allowed
 * attempt leaves the window. Keys (IPs, emails) are hashed in Redis.
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
     *         `remaining` attempts left in the window; `retry_after` seconds until
     *         the next attempt would be allowed (0 when allowed).
     * @throws \ValueError When the key is empty or too long.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $r = $limiter->attempt($_SERVER['REMOTE_ADDR']); if (!$r['allowed']) { header('Retry-After: ' . ceil($r['retry_after'])); }
     */
    public function attempt(string $key): array
    {
    }

    /**
     * Forgets every attempt of `$key`.
     *
     * @throws \ValueError When the key is empty or too long.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example $limiter->reset($email);
     */
    public function reset(string $key): void
    {
    }
}
