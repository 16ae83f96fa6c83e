<?php

/**
 * Thrown by a store when a limit refuses an action (issuing one-time codes),
 * in either mode; carries how long to wait.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class LimitExceeded extends \RuntimeException
{
    private int $retry_after;

    public function __construct(int $retry_after, string $message = 'Rate limit exceeded')
    {
        parent::__construct($message);
        $this->retry_after = max(1, $retry_after);
    }

    public function retry_after(): int
    {
        return $this->retry_after;
    }
}
