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
    public const SCHEMA_VERSION = '1';
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
                name VARCHAR(191) NOT NULL,
                value LONGTEXT NOT NULL,
                counter BIGINT NOT NULL DEFAULT 0,
                expires_at BIGINT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (name),
                KEY expires_at (expires_at)
            ) $charset"
        );
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
     * Counts one more event in a fixed window and returns the count including
     * it, and when the window ends. One upsert; the count comes back through
     * the connection's LAST_INSERT_ID, so concurrent callers each see their own.
     *
     * @return array{0: int, 1: int} [count, window end in ms]
     */
    public function count_in_window(string $name, int $window_ms): array
    {
        global $wpdb;
        $table = self::name();
        $now = self::now_ms();
        $wpdb->query($wpdb->prepare(
            "INSERT INTO `$table` (name, value, counter, expires_at, data) VALUES (%s, '', 1, %d, '')
             ON DUPLICATE KEY UPDATE
               counter = LAST_INSERT_ID(IF(expires_at <= %d, 1, counter + 1)),
               expires_at = IF(expires_at <= %d, %d, expires_at)",
            $name,
            $now + $window_ms,
            $now,
            $now,
            $now + $window_ms
        ));
        $count = $wpdb->rows_affected === 1 ? 1 : (int) $wpdb->get_var('SELECT LAST_INSERT_ID()');
        $row = $this->get($name);
        return [max(1, $count), $row !== null ? $row['expires_at'] : $now + $window_ms];
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

    /** Deletes expired rows, a bounded batch at a time (hourly cron). */
    public function purge_expired(int $batch = 1000): int
    {
        global $wpdb;
        $table = self::name();
        $wpdb->query($wpdb->prepare("DELETE FROM `$table` WHERE expires_at <= %d LIMIT %d", self::now_ms(), $batch));
        return (int) $wpdb->rows_affected;
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
