<?php

/**
 * One side's adapters as one Store: Backend::run() hands operations a
 * Store, and each call passes through to the adapter of its feature, which
 * the side (RedisStore, FallbackStore) builds on first use.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

abstract class StoreAdapters implements Store
{
    /** The adapters built so far (each side's accessors fill them on first use). */
    protected ?ContentStore $content = null;
    protected ?RelationStore $relations = null;
    protected ?StatsStore $stats_store = null;
    protected ?SlotStore $slots = null;
    protected ?CodeStore $codes = null;
    protected ?LimitStore $limits = null;
    protected ?ValueStore $values = null;

    abstract protected function content(): ContentStore;

    abstract protected function relations(): RelationStore;

    abstract protected function stats_store(): StatsStore;

    abstract protected function slots(): SlotStore;

    abstract protected function codes(): CodeStore;

    abstract protected function limits(): LimitStore;

    abstract protected function values(): ValueStore;

    public function remember(int $post_id, string $persona, callable $render, int $ttl): array
    {
        return $this->content()->remember($post_id, $persona, $render, $ttl);
    }

    public function observe(int $post_id): string
    {
        return $this->content()->observe($post_id);
    }

    public function warm(int $post_id, array $html_by_persona, int $ttl, ?string $fence = null): int
    {
        return $this->content()->warm($post_id, $html_by_persona, $ttl, $fence);
    }

    public function cached_personas(int $post_id): array
    {
        return $this->content()->cached_personas($post_id);
    }

    public function relate(int $post_id, array $depends_on, array $tags): void
    {
        $this->relations()->relate($post_id, $depends_on, $tags);
    }

    public function record_view(int $post_id): void
    {
        $this->stats_store()->record_view($post_id);
    }

    public function popular(int $limit): array
    {
        return $this->stats_store()->popular($limit);
    }

    public function stats(int $days): array
    {
        return $this->stats_store()->stats($days);
    }

    public function recent(int $limit): array
    {
        return $this->stats_store()->recent($limit);
    }

    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        return $this->slots()->lock($date, $time, $resource, $owner, $ttl);
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        return $this->slots()->unlock($date, $time, $resource, $token);
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        return $this->slots()->extend($date, $time, $resource, $token, $ttl);
    }

    public function locked(string $date, string $resource): array
    {
        return $this->slots()->locked($date, $resource);
    }

    public function announce(string $date, string $time, string $resource): void
    {
        $this->slots()->announce($date, $time, $resource);
    }

    public function otp_issue(string $identity): string
    {
        return $this->codes()->otp_issue($identity);
    }

    public function otp_verify(string $identity, string $code): bool
    {
        return $this->codes()->otp_verify($identity, $code);
    }

    public function attempt(string $name, int $limit, int $window, string $key): array
    {
        return $this->limits()->attempt($name, $limit, $window, $key);
    }

    public function value_get(string $key): ?string
    {
        return $this->values()->value_get($key);
    }

    public function value_set(string $key, string $value, int $ttl): void
    {
        $this->values()->value_set($key, $value, $ttl);
    }

    public function value_delete(string $key): void
    {
        $this->values()->value_delete($key);
    }
}
