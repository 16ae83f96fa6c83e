<?php

/**
 * Slot locks on the database: rows inserted with INSERT IGNORE on a unique
 * name (StoreRules), so exactly one concurrent caller wins, with an expiry.
 * Fences: one row per slot keeps the highest fence issued there, and a new
 * fence is max(that + 1, the clock in ms), the extension's rule too, so a
 * slot's fences only go up across both adapters and a Redis data loss. The
 * fence is drawn after the lock row was won, so the fence row never lies
 * above the live holder's fence (BookingStore refuses writes below it).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseSlots implements SlotStore
{
    private StateTable $table;

    public function __construct(StateTable $table)
    {
        $this->table = $table;
    }

    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        $name = StoreRules::lock_name($date, $resource, $time);
        $token = StoreRules::fallback_token();
        $expires = StateTable::now_ms() + $ttl * 1000;
        $data = (string) wp_json_encode(['owner' => $owner]);
        if (!$this->table->insert($name, $token, 0, $expires, $data)) {
            return null;
        }
        // Only the winner draws a fence: a refused attempt must not raise
        // the slot's fence row above the holder's (a booking write compares them).
        $fence = $this->table->next_fence($name, $expires);
        $this->table->set_counter_if($name, $token, $fence);
        return ['token' => $token, 'fence' => $fence, 'expires_at' => $expires / 1000];
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        return $this->table->delete_if(StoreRules::lock_name($date, $resource, $time), $token);
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        $expires = StateTable::now_ms() + $ttl * 1000;
        return $this->table->extend_if(StoreRules::lock_name($date, $resource, $time), $token, $expires);
    }

    public function locked(string $date, string $resource): array
    {
        return StoreRules::locks_in($this->table, $date, $resource);
    }

    /** Nothing to publish on: the live relay listens to Redis, and pages fall back to the heartbeat. */
    public function announce(string $date, string $time, string $resource): void
    {
    }
}
