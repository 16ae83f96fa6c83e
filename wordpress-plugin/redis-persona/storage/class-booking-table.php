<?php

/**
 * The bookings table's schema and its migrations. Bookings are permanent
 * records, so they live in the database in both modes (Redis keeps only the
 * holds that lead to them).
 *
 * The schema is versioned: BookingTable::migrate() runs on `plugins_loaded`
 * and `admin_init` (one autoloaded option read when nothing changed) and
 * applies every step above the stored version, so an update of the plugin
 * migrates without a reactivation. A step's version is recorded only once
 * the step took effect (the table exists): a failed CREATE is retried on the
 * next request instead of being remembered as done.
 *
 * - Binary collation: `Room-1` and `room-1` are two resources, as in the
 *   lock names.
 * - `active_slot` is `date|time|resource|seat` while a booking is active and
 *   NULL once cancelled, under a UNIQUE key: two active bookings of one seat
 *   of a slot cannot exist, even if every lock failed. `seat` leaves room for
 *   a capacity above one (always 1 today).
 * - `hold_hash` (a hash of the hold's lock token) makes a repeated
 *   confirmation of the same hold find its booking instead of failing.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingTable
{
    public const VERSION = 1;
    public const VERSION_OPTION = 'redis_persona_bookings_db_version';
    /** Set (by the settings page) when uninstalling must delete the bookings too. */
    public const DELETE_ON_UNINSTALL_OPTION = 'redis_persona_delete_bookings';

    public static function name(): string
    {
        global $wpdb;
        return $wpdb->prefix . 'redis_persona_bookings';
    }

    /** Applies the schema steps the stored version has not seen yet. */
    public static function migrate(): void
    {
        $installed = (int) get_option(self::VERSION_OPTION, 0);
        if ($installed >= self::VERSION) {
            return;
        }
        foreach (self::steps() as $version => $step) {
            if ($version > $installed) {
                if (!$step()) {
                    return;
                }
                update_option(self::VERSION_OPTION, $version, true);
            }
        }
    }

    public static function exists(): bool
    {
        global $wpdb;
        $table = self::name();
        return $wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($table))) === $table;
    }

    /** @return array<int, callable(): bool> schema steps by the version they lead to; each says whether it took effect */
    private static function steps(): array
    {
        return [
            1 => static function (): bool {
                global $wpdb;
                $table = self::name();
                $wpdb->query(
                    "CREATE TABLE IF NOT EXISTS `$table` (
                        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                        reference VARCHAR(20) NOT NULL,
                        resource VARCHAR(64) NOT NULL,
                        slot_date DATE NOT NULL,
                        slot_time CHAR(5) NOT NULL,
                        seat SMALLINT UNSIGNED NOT NULL DEFAULT 1,
                        active_slot VARCHAR(100) NULL,
                        status VARCHAR(16) NOT NULL,
                        fence BIGINT NOT NULL,
                        mode VARCHAR(16) NOT NULL DEFAULT '',
                        hold_hash CHAR(64) NOT NULL,
                        identity_hash CHAR(64) NOT NULL,
                        email VARCHAR(254) NOT NULL DEFAULT '',
                        created_at DATETIME NOT NULL,
                        cancelled_at DATETIME NULL,
                        PRIMARY KEY (id),
                        UNIQUE KEY reference (reference),
                        UNIQUE KEY active_slot (active_slot),
                        KEY day (slot_date, resource),
                        KEY identity_hash (identity_hash)
                    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                );
                return self::exists();
            },
        ];
    }

    /** Drops the table, only when the admin chose to delete bookings on uninstall. */
    public static function uninstall(): void
    {
        global $wpdb;
        if (!get_option(self::DELETE_ON_UNINSTALL_OPTION)) {
            return;
        }
        $table = self::name();
        $wpdb->query("DROP TABLE IF EXISTS `$table`");
        delete_option(self::VERSION_OPTION);
        delete_option(self::DELETE_ON_UNINSTALL_OPTION);
    }
}
