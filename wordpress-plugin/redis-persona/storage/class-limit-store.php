<?php

/**
 * Rate limits: GCRA per name and key, the same answers on both adapters.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface LimitStore
{
    /** @return array{allowed: bool, remaining: int, retry_after: int} */
    public function attempt(string $name, int $limit, int $window, string $key): array;
}
