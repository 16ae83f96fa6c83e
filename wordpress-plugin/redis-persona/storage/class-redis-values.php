<?php

/**
 * Key/values with a lifetime, as plain Redis strings under the prefix.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisValues implements ValueStore
{
    private Client $client;

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    public function value_get(string $key): ?string
    {
        return $this->client->get($key);
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        $this->client->set($key, $value, $ttl);
    }

    public function value_delete(string $key): void
    {
        $this->client->delete($key);
    }
}
