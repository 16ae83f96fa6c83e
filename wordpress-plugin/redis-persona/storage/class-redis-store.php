<?php

/**
 * The Redis side of every store interface, as one Store for Backend: it
 * builds each feature's adapter on first use (most requests use only the
 * content cache) and passes calls through. The adapters (RedisContent,
 * RedisRelations, RedisStats, RedisSlots, RedisCodes, RedisLimits,
 * RedisValues) know nothing of the database adapters; the rules both sides
 * share are in StoreRules.
 *
 * Failures surface as \RedisPersona\Exception (ConnectionException when
 * Redis is unreachable or cannot serve); Backend catches them and repeats the
 * call on the fallback. `remember()` renders uncached instead of throwing
 * when Redis fails under it; the error it swallowed is kept (take_swallowed())
 * so the rest of the request moves to the fallback too.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisStore extends StoreAdapters
{
    private Client $client;
    private StateTable $table;

    public function __construct(Client $client, StateTable $table)
    {
        $this->client = $client;
        $this->table = $table;
    }

    public function mode(): string
    {
        return 'redis';
    }

    public function client(): Client
    {
        return $this->client;
    }

    /** The Redis failure that the last call survived by degrading, once. */
    public function take_swallowed(): ?\Throwable
    {
        return $this->content instanceof RedisContent ? $this->content->take_swallowed() : null;
    }

    protected function content(): ContentStore
    {
        return $this->content ??= new RedisContent($this->client);
    }

    protected function relations(): RelationStore
    {
        return $this->relations ??= new RedisRelations($this->client);
    }

    protected function stats_store(): StatsStore
    {
        return $this->stats_store ??= new RedisStats($this->client);
    }

    protected function slots(): SlotStore
    {
        return $this->slots ??= new RedisSlots($this->client, $this->table);
    }

    protected function codes(): CodeStore
    {
        return $this->codes ??= new RedisCodes($this->client);
    }

    protected function limits(): LimitStore
    {
        return $this->limits ??= new RedisLimits($this->client);
    }

    protected function values(): ValueStore
    {
        return $this->values ??= new RedisValues($this->client);
    }
}
