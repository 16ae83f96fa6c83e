<?php

/**
 * Rate limits on the database: GCRA, the same algorithm as the extension
 * (Policy), one upsert per attempt on one row per key.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseLimits implements LimitStore
{
    private StateTable $table;

    public function __construct(StateTable $table)
    {
        $this->table = $table;
    }

    public function attempt(string $name, int $limit, int $window, string $key): array
    {
        return $this->table->gcra('rl:' . $name . ':' . substr(hash('sha256', $key), 0, 40), $limit, $window);
    }
}
