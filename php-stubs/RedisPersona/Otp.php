<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * One-time codes for verifying guests (by email, phone...).
 *
 * Codes are uniformly distributed digits from the OS CSPRNG. Redis stores
 * only an HMAC-SHA256 of the code (keyed by `$secret`) under a key named by
 * an HMAC of the identity: neither the code nor the identity is stored.
 * verify() is one round trip: one atomic Redis function counts the attempt,
 * compares HMACs (the code and the secret never reach Redis, so comparing
 * HMACs leaks nothing about the code) and consumes the code on a match, so a
 * code works once, also when two verifications race. Every verification
 * counts as an attempt; after `max_attempts` the code is burnt, even if the
 * right code comes next. A new issue() replaces the previous code.
 *
 * @example $otp = new \RedisPersona\Otp(new \RedisPersona\Client(), getenv('OTP_SECRET'));
 */
final class Otp
{
    /**
     * No I/O happens here.
     *
     * @param string $secret At least 16 bytes of secret key material (e.g. random_bytes(32)).
     * @param array{ttl?: int, digits?: int, max_attempts?: int, issue_limit?: int, issue_window?: int} $options
     *        `ttl` code lifetime in seconds (default 600), `digits` 4–10 (default 6),
     *        `max_attempts` (default 5), `issue_limit` codes per `issue_window` seconds
     *        per identity (default 3 per 600) with RateLimiter's GCRA: a burst of
     *        `issue_limit`, then one every `issue_window / issue_limit` seconds.
     *        0 means the default; Policy::defaults()['otp'] has every default and bound.
     * @throws \ValueError When the secret is too short or an option is invalid.
     * @example $otp = new \RedisPersona\Otp($client, AUTH_KEY, ['digits' => 8, 'ttl' => 300]);
     */
    public function __construct(Client $client, string $secret, array $options = [])
    {
    }

    /**
     * Issues a new code for `$identity` (1–320 bytes), replacing any previous one.
     *
     * @return string The code, `digits` long, to send to the guest.
     * @throws RateLimitedException When the issue limit allows no code now; getRetryAfter() says in how many seconds one is allowed.
     * @throws \ValueError When the identity is empty or too long.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example wp_mail($email, 'Your code', $otp->issue($email));
     */
    public function issue(string $identity): string
    {
    }

    /**
     * Whether `$code` is the identity's current code. On success the code is
     * consumed. Whitespace in `$code` is ignored.
     *
     * @throws \ValueError When the identity is empty or too long, or the code is over 64 bytes.
     * @throws ConnectionException When Redis is unreachable, too slow, or the breaker is open.
     * @example if (!$otp->verify($email, $_POST['code'])) { http_response_code(403); }
     */
    public function verify(string $identity, string $code): bool
    {
    }
}
