<?php

/**
 * Key/values with a lifetime, as transients (hashed names).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseValues implements ValueStore
{
    // Values are binary-safe, as in Redis: the options table is utf8mb4 text,
    // which drops bytes that are not UTF-8, so values are stored base64-encoded.
    public function value_get(string $key): ?string
    {
        $stored = get_transient('rp_v_' . md5($key));
        $value = is_string($stored) ? base64_decode($stored, true) : false;
        return is_string($value) ? $value : null;
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        set_transient('rp_v_' . md5($key), base64_encode($value), $ttl);
    }

    public function value_delete(string $key): void
    {
        delete_transient('rp_v_' . md5($key));
    }
}
