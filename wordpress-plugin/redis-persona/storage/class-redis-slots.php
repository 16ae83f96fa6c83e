<?php

/**
 * Slot locks on the extension's SlotLock, mirrored into the database's lock
 * rows (StoreRules names them; one INSERT IGNORE per acquire). That costs one
 * database write per booking step, and buys the guarantee that a switch
 * between modes never double-books: a lock held in Redis when Redis goes down
 * is still visible to the database adapter, and a lock taken there during an
 * outage makes Redis-mode acquires of that slot fail until it expires or its
 * holder releases it.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\SlotLock;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisSlots implements SlotStore
{
    /** The owner of an announcing lock (RedisSlots::announce). */
    private const ANNOUNCER = 'redis-persona:announce';

    private Client $client;
    private StateTable $table;
    private ?SlotLock $slots = null;

    public function __construct(Client $client, StateTable $table)
    {
        $this->client = $client;
        $this->table = $table;
    }

    private function slots(): SlotLock
    {
        return $this->slots ??= new SlotLock($this->client);
    }

    public function lock(string $date, string $time, string $resource, string $owner, int $ttl): ?array
    {
        $name = StoreRules::lock_name($date, $resource, $time);
        // The database remembers fences the fallback issued (or a Redis that
        // lost its data had issued): Redis must go above them.
        $known = $this->table->fence_floor($name);
        $lock = $this->slots()->acquire($date, $time, $resource, $owner, $ttl, $known > 0 ? $known + 1 : 0);
        if ($lock === null) {
            return null;
        }
        $expires = (int) ceil($lock['expires_at'] * 1000);
        $mirrored = $this->table->insert($name, $lock['token'], $lock['fence'], $expires, (string) wp_json_encode(['owner' => $owner]));
        if (!$mirrored) {
            // Taken in fallback mode during an outage and still held.
            $this->slots()->release($date, $time, $resource, $lock['token']);
            return null;
        }
        $this->table->see_fence($name, $lock['fence'], $expires);
        return $lock;
    }

    public function unlock(string $date, string $time, string $resource, string $token): bool
    {
        $name = StoreRules::lock_name($date, $resource, $time);
        if (StoreRules::is_fallback_token($token)) {
            return $this->table->delete_if($name, $token);
        }
        $released = $this->slots()->release($date, $time, $resource, $token);
        $this->table->delete_if($name, $token);
        return $released;
    }

    public function extend(string $date, string $time, string $resource, string $token, int $ttl): bool
    {
        $name = StoreRules::lock_name($date, $resource, $time);
        $expires = StateTable::now_ms() + $ttl * 1000;
        if (StoreRules::is_fallback_token($token)) {
            return $this->table->extend_if($name, $token, $expires);
        }
        if (!$this->slots()->extend($date, $time, $resource, $token, $ttl)) {
            return false;
        }
        $this->table->extend_if($name, $token, $expires);
        return true;
    }

    /**
     * The extension publishes only lock events and PHP has no PUBLISH, so a
     * change without one (a cancelled booking) is announced by a momentary
     * lock of the slot: acquired and released at once, which publishes
     * `acquired` and `released` on the day's channel. Costs two round trips;
     * a hold attempted within that instant is refused like any held slot.
     * When someone holds the slot nothing is published (and nothing needs
     * to be: the page already shows it held). Not mirrored in the database:
     * the lock lives for at most a second if the release fails.
     */
    public function announce(string $date, string $time, string $resource): void
    {
        $lock = $this->slots()->acquire($date, $time, $resource, self::ANNOUNCER, 1);
        if ($lock !== null) {
            $this->slots()->release($date, $time, $resource, $lock['token']);
        }
    }

    public function locked(string $date, string $resource): array
    {
        $locked = [];
        foreach ($this->slots()->locked($date, $resource) as $lock) {
            $locked[$lock['time']] = [
                'time' => $lock['time'],
                'owner' => $lock['owner'],
                'fence' => $lock['fence'],
                'expires_at' => $lock['expires_at'],
            ];
        }
        // Locks taken during an outage stay held until they expire.
        foreach (StoreRules::locks_in($this->table, $date, $resource) as $time => $lock) {
            $locked[$time] ??= $lock;
        }
        ksort($locked);
        return $locked;
    }
}
