<?php

/**
 * Everything a backend serves, as one type for Backend::run(): the small
 * per-feature interfaces (ContentStore, RelationStore, StatsStore,
 * SlotStore, CodeStore, LimitStore, ValueStore) plus the mode. Two adapters
 * keep the same guarantees: RedisStore (the extension) and FallbackStore
 * (the database); the rules both follow (lock rows, fallback tokens and
 * fences) live in StoreRules. Backend picks one per request and switches
 * when Redis fails; code that needs one feature asks for its interface.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface Store extends ContentStore, RelationStore, StatsStore, SlotStore, CodeStore, LimitStore, ValueStore
{
    /** 'redis' or 'fallback'. */
    public function mode(): string;
}
