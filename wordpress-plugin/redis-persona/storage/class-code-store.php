<?php

/**
 * One-time codes: issued with a per-identity limit, verified at most
 * max_attempts times, consumed once.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface CodeStore
{
    /** @throws LimitExceeded past the issuing limit for this identity */
    public function otp_issue(string $identity): string;

    public function otp_verify(string $identity, string $code): bool;
}
