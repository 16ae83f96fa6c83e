<?php

/**
 * Small key/values with a lifetime (the booked-slots cache).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface ValueStore
{
    public function value_get(string $key): ?string;

    public function value_set(string $key, string $value, int $ttl): void;

    public function value_delete(string $key): void;
}
