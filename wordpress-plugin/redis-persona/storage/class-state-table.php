<?php

/**
 * The fallback's source of truth for everything that must be atomic: slot
 * locks, one-time codes, rate-limit windows and render locks live as rows of
 * one table with a primary key on the name. Every guarantee comes from a
 * single statement (INSERT IGNORE on the key, a conditional UPDATE, an upsert
 * returning its value through LAST_INSERT_ID), never from read-then-write.
 *
 * Times are Unix milliseconds from PHP's clock; rows past `expires_at` are
 * treated as absent and deleted lazily and by the hourly purge.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class StateTable
{
    /** 2: names compare byte for byte (`Room-1` and `room-1` are two slots). */
    public const SCHEMA_VERSION = '2';
    /** Expired rows each write also deletes, so garbage never outgrows what is written. */
    private const GC_PER_WRITE = 2;
    public const VERSION_OPTION = 'redis_persona_db_version';

    public static function name(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'redis_persona_state';
    }

    public static function now_ms(): int
    {
        return (int) floor(microtime(true) * 1000);
    }

    /** Creates the table when this schema version has not been installed yet. */
    public static function install(): void
    {
        global $wpdb;
        if (get_option(self::VERSION_OPTION) === self::SCHEMA_VERSION) {
            return;
        }
        $table = self::name();
        $charset = $wpdb->get_charset_collate();
        $wpdb->query(
            "CREATE TABLE IF NOT EXISTS `$table` (
                name VARBINARY(191) NOT NULL,
                value LONGTEXT NOT NULL,
                counter BIGINT NOT NULL DEFAULT 0,
                expires_at BIGINT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (name),
                KEY expires_at (expires_at)
            ) $charset"
        );
        // Schema 1 had a case-insensitive name: make it binary (no row can
        // collide, case-insensitive names were already unique).
        $wpdb->query("ALTER TABLE `$table` MODIFY name VARBINARY(191) NOT NULL");
        update_option(self::VERSION_OPTION, self::SCHEMA_VERSION, true);
    }

    public static function uninstall(): void
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query("DROP TABLE IF EXISTS `$table`");
        delete_option(self::VERSION_OPTION);
    }

    /**
     * Inserts the row unless a live row has the name. Exactly one of any
     * number of concurrent callers wins.
     */
    public function insert(string $name, string $value, int $counter, int $expires_at, string $data = ''): bool
    {
        global $wpdb;
        $table = self::name();
        $now = self::now_ms();
        $wpdb->query($wpdb->prepare("DELETE FROM `$table` WHERE name = %s AND expires_at <= %d", $name, $now));
        $this->collect_garbage($now);
        $wpdb->query($wpdb->prepare(
            "INSERT IGNORE INTO `$table` (name, value, counter, expires_at, data) VALUES (%s, %s, %d, %d, %s)",
            $name,
            $value,
            $counter,
            $expires_at,
            $data
        ));
        return $wpdb->rows_affected === 1;
    }

    /** @return array{name: string, value: string, counter: int, expires_at: int, data: string}|null the live row */
    public function get(string $name): ?array
    {
        global $wpdb;
        $table = self::name();
        $row = $wpdb->get_row($wpdb->prepare(
            "SELECT name, value, counter, expires_at, data FROM `$table` WHERE name = %s AND expires_at > %d",
            $name,
            self::now_ms()
        ), ARRAY_A);
        return is_array($row) ? self::typed($row) : null;
    }

    /**
     * Live rows whose name starts with the prefix (a range scan of the key).
     *
     * @return list<array{name: string, value: string, counter: int, expires_at: int, data: string}>
     */
    public function with_prefix(string $prefix, int $limit = 1000): array
    {
        global $wpdb;
        $table = self::name();
        $rows = $wpdb->get_results($wpdb->prepare(
            "SELECT name, value, counter, expires_at, data FROM `$table` WHERE name LIKE %s AND expires_at > %d ORDER BY name LIMIT %d",
            $wpdb->esc_like($prefix) . '%',
            self::now_ms(),
            $limit
        ), ARRAY_A);
        return array_map([self::class, 'typed'], is_array($rows) ? $rows : []);
    }

    /** Sets a live row's expiry if its value still matches (the holder's token). */
    public function extend_if(string $name, string $value, int $expires_at): bool
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare(
            "UPDATE `$table` SET expires_at = %d WHERE name = %s AND value = %s AND expires_at > %d",
            $expires_at,
            $name,
            $value,
            self::now_ms()
        ));
        return $wpdb->rows_affected === 1;
    }

    /** Sets a live row's counter if its value still matches (a fence drawn after the row was won). */
    public function set_counter_if(string $name, string $value, int $counter): bool
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare(
            "UPDATE `$table` SET counter = %d WHERE name = %s AND value = %s",
            $counter,
            $name,
            $value
        ));
        return $wpdb->rows_affected === 1;
    }

    /** Deletes a live row if its value matches; true for exactly one caller. */
    public function delete_if(string $name, string $value): bool
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare(
            "DELETE FROM `$table` WHERE name = %s AND value = %s AND expires_at > %d",
            $name,
            $value,
            self::now_ms()
        ));
        return $wpdb->rows_affected === 1;
    }

    public function delete(string $name): void
    {
        global $wpdb;
        $wpdb->delete(self::name(), ['name' => $name], ['%s']);
    }

    /** Replaces the row whatever it held (issuing a new code replaces the old). */
    public function put(string $name, string $value, int $counter, int $expires_at): void
    {
        global $wpdb;
        $wpdb->replace(
            self::name(),
            ['name' => $name, 'value' => $value, 'counter' => $counter, 'expires_at' => $expires_at, 'data' => ''],
            ['%s', '%s', '%d', '%d', '%s']
        );
    }

    /**
     * The next fence of a slot: max(highest fence issued there + 1, the clock
     * in ms). One upsert on the slot's fence row, returned through the
     * connection's LAST_INSERT_ID, so concurrent callers each get their own
     * and fences only go up. The row lives as long as the lock may (it is
     * only a floor: once it is gone, the clock still lies above every fence
     * it held) and is garbage-collected like every expired row.
     */
    public function next_fence(string $lock_name, int $expires_at): int
    {
        global $wpdb;
        $table = self::name();
        $now = self::now_ms();
        $this->collect_garbage($now);
        $wpdb->query($wpdb->prepare(
            "INSERT INTO `$table` (name, value, counter, expires_at, data) VALUES (%s, '', LAST_INSERT_ID(%d), %d, '')
             ON DUPLICATE KEY UPDATE
               counter = LAST_INSERT_ID(GREATEST(counter + 1, %d)),
               expires_at = GREATEST(expires_at, %d)",
            'fence:' . $lock_name,
            $now,
            $expires_at,
            $now,
            $expires_at
        ));
        return (int) $wpdb->get_var('SELECT LAST_INSERT_ID()');
    }

    /** Raises a slot's fence floor to a fence issued elsewhere (Redis mode mirrors its fences here). */
    public function see_fence(string $lock_name, int $fence, int $expires_at): void
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare(
            "INSERT INTO `$table` (name, value, counter, expires_at, data) VALUES (%s, '', %d, %d, '')
             ON DUPLICATE KEY UPDATE counter = GREATEST(counter, %d), expires_at = GREATEST(expires_at, %d)",
            'fence:' . $lock_name,
            $fence,
            $expires_at,
            $fence,
            $expires_at
        ));
    }

    /** The highest fence known for a slot (0 when none is remembered). */
    public function fence_floor(string $lock_name): int
    {
        global $wpdb;
        $table = self::name();
        return (int) $wpdb->get_var($wpdb->prepare("SELECT counter FROM `$table` WHERE name = %s", 'fence:' . $lock_name));
    }

    /**
     * One GCRA rate-limit attempt (Policy): emission interval T = window /
     * limit, burst = limit. With tat = max(stored tat, now) and new = tat + T,
     * the attempt is allowed iff new - now <= window; then new is stored.
     * Refusals store nothing. One upsert: the decision and the new tat come
     * back through LAST_INSERT_ID as 2 * tat + allowed, on the insert and
     * on both update paths.
     *
     * @return array{allowed: bool, remaining: int, retry_after: int}
     */
    public function gcra(string $name, int $limit, int $window_seconds): array
    {
        global $wpdb;
        $table = self::name();
        $limit = max(1, $limit);
        $window = max(1, $window_seconds) * 1000000;
        $interval = intdiv($window, $limit);
        $now = (int) floor(microtime(true) * 1000000);
        $this->collect_garbage(intdiv($now, 1000));
        $tat = "GREATEST(counter, $now) + $interval";
        $wpdb->query($wpdb->prepare(
            "INSERT INTO `$table` (name, value, counter, expires_at, data) VALUES (%s, '', LAST_INSERT_ID(%d) >> 1, %d, '')
             ON DUPLICATE KEY UPDATE
               expires_at = IF($tat - $now <= $window, CEIL(($tat) / 1000), expires_at),
               counter = IF($tat - $now <= $window, (LAST_INSERT_ID(2 * ($tat) + 1) - 1) DIV 2, counter + 0 * LAST_INSERT_ID(2 * ($tat)))",
            $name,
            2 * ($now + $interval) + 1,
            (int) ceil(($now + $interval) / 1000)
        ));
        // Every path of the upsert set LAST_INSERT_ID to 2 * tat + allowed.
        $packed = (int) $wpdb->get_var('SELECT LAST_INSERT_ID()');
        $allowed = ($packed & 1) === 1;
        $new = $packed >> 1;
        $ahead = $new - $now;
        return [
            'allowed' => $allowed,
            'remaining' => $allowed ? intdiv($window - $ahead, $interval) : 0,
            'retry_after' => $allowed ? 0 : max(1, (int) ceil(($ahead - $window) / 1000000)),
        ];
    }

    /** Reserves one attempt on a live row if fewer than $max were made. */
    public function reserve_attempt(string $name, int $max): bool
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare(
            "UPDATE `$table` SET counter = counter + 1 WHERE name = %s AND counter < %d AND expires_at > %d",
            $name,
            $max,
            self::now_ms()
        ));
        return $wpdb->rows_affected === 1;
    }

    /** Deletes a few expired rows: every insert pays for more than it may leave behind. */
    private function collect_garbage(int $now): void
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare("DELETE FROM `$table` WHERE expires_at <= %d LIMIT %d", $now, self::GC_PER_WRITE));
    }

    /** Deletes every expired row, in bounded batches (hourly cron). */
    public function purge_expired(int $batch = 1000, int $max_batches = 100): int
    {
        global $wpdb;
        $table = self::name();
        $purged = 0;
        for ($i = 0; $i < $max_batches; $i++) {
            $wpdb->query($wpdb->prepare("DELETE FROM `$table` WHERE expires_at <= %d LIMIT %d", self::now_ms(), $batch));
            $deleted = (int) $wpdb->rows_affected;
            $purged += $deleted;
            if ($deleted < $batch) {
                break;
            }
        }
        return $purged;
    }

    /**
     * @param array<string, mixed> $row
     * @return array{name: string, value: string, counter: int, expires_at: int, data: string}
     */
    private static function typed(array $row): array
    {
        return [
            'name' => (string) $row['name'],
            'value' => (string) $row['value'],
            'counter' => (int) $row['counter'],
            'expires_at' => (int) $row['expires_at'],
            'data' => (string) $row['data'],
        ];
    }
}
