<?php

/**
 * Views, popularity and daily hits/misses (PersonaCache's counters) and the
 * invalidation log (Invalidator's).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\PersonaCache;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisStats implements StatsStore
{
    private Client $client;
    private ?PersonaCache $counters = null;
    private ?Invalidator $log = null;

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    private function counters(): PersonaCache
    {
        return $this->counters ??= new PersonaCache($this->client);
    }

    public function record_view(int $post_id): void
    {
        $this->counters()->recordView($post_id);
    }

    public function popular(int $limit): array
    {
        return $this->counters()->popular($limit);
    }

    public function stats(int $days): array
    {
        return $this->counters()->stats($days);
    }

    public function recent(int $limit): array
    {
        return ($this->log ??= new Invalidator($this->client))->recent($limit);
    }
}
