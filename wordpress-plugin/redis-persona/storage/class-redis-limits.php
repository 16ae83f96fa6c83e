<?php

/**
 * Rate limits on the extension's RateLimiter (GCRA), one limiter per name,
 * limit and window.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\RateLimiter;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisLimits implements LimitStore
{
    private Client $client;
    /** @var array<string, RateLimiter> */
    private array $limiters = [];

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    public function attempt(string $name, int $limit, int $window, string $key): array
    {
        $id = $name . ':' . $limit . ':' . $window;
        $this->limiters[$id] ??= new RateLimiter($this->client, $name, $limit, $window);
        $result = $this->limiters[$id]->attempt($key);
        return [
            'allowed' => (bool) $result['allowed'],
            'remaining' => (int) $result['remaining'],
            'retry_after' => (int) ceil((float) $result['retry_after']),
        ];
    }
}
