<?php

/**
 * The database side of every store interface, as one Store for Backend: used
 * when the extension is not loaded, is disabled, or Redis is unavailable,
 * with the same guarantees (StoreContractTest runs one contract on both
 * sides). It builds each feature's adapter on first use and passes calls
 * through: DatabaseContent, DatabaseRelations, DatabaseStats, DatabaseSlots,
 * DatabaseCodes, DatabaseLimits, DatabaseValues. They know nothing of the
 * Redis adapters; the rules both sides share are in StoreRules.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class FallbackStore extends StoreAdapters
{
    public const GENERATION_OPTION = DatabaseContent::GENERATION_OPTION;

    private StateTable $table;
    /** Whose personas the content adapter looks for. */
    private Config $config;

    public function __construct(StateTable $table, ?Config $config = null)
    {
        $this->table = $table;
        $this->config = $config ?? new Config();
    }

    public function mode(): string
    {
        return 'fallback';
    }

    /** Makes every variant cached on the database unreachable (one option write). */
    public static function bump_generation(): void
    {
        DatabaseContent::bump_generation();
    }

    protected function content(): ContentStore
    {
        return $this->content ??= new DatabaseContent($this->table, $this->config);
    }

    protected function relations(): RelationStore
    {
        return $this->relations ??= new DatabaseRelations();
    }

    protected function stats_store(): StatsStore
    {
        return $this->stats_store ??= new DatabaseStats();
    }

    protected function slots(): SlotStore
    {
        return $this->slots ??= new DatabaseSlots($this->table);
    }

    protected function codes(): CodeStore
    {
        return $this->codes ??= new DatabaseCodes($this->table);
    }

    protected function limits(): LimitStore
    {
        return $this->limits ??= new DatabaseLimits($this->table);
    }

    protected function values(): ValueStore
    {
        return $this->values ??= new DatabaseValues();
    }
}
