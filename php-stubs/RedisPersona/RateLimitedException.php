<?php

namespace RedisPersona;

/**
 * Too many attempts in the current window.
 *
 * @example try {
 *     $otp->issue($email);
 * } catch (\RedisPersona\RateLimitedException $e) {
 *     header('Retry-After: ' . $e->getRetryAfter());
 * }
 */
class RateLimitedException extends Exception
{
    /** @var int Seconds to wait, as getRetryAfter() returns it. */
    protected $retryAfter = 0;

    /**
     * Seconds to wait before the next attempt can succeed. Never throws.
     *
     * @example header('Retry-After: ' . $e->getRetryAfter());
     */
    public function getRetryAfter(): int
    {
    }
}
