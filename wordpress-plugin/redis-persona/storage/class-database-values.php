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
    public function value_get(string $key): ?string
    {
        $value = get_transient('rp_v_' . md5($key));
        return is_string($value) ? $value : null;
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        set_transient('rp_v_' . md5($key), $value, $ttl);
    }

    public function value_delete(string $key): void
    {
        delete_transient('rp_v_' . md5($key));
    }
}
