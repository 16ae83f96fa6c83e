<?php

/**
 * Booking slot locks: one holder per slot, with fences that only go up
 * (StoreRules: lock rows both adapters share).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

interface SlotStore
{
    /** @return array{token: string, fence: int, expires_at: float}|null null when held */
    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array;

    public function unlock(string $date, string $time, string $resource, string $token): bool;

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool;

    /** @return array<string, array{time: string, owner: string, fence: int, expires_at: float}> by time */
    public function locked(string $date, string $resource): array;

    /** Publishes a change of the slot to the pages watching its day, where the adapter can (no-op otherwise). */
    public function announce(string $date, string $time, string $resource): void;
}
