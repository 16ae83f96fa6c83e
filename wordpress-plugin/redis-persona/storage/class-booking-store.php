<?php

/**
 * Bookings in the database (BookingTable), the same in both modes.
 *
 * A booking is written by one statement that checks what makes it valid, so
 * no read-then-write gap exists: INSERT IGNORE … SELECT from the slot's live
 * lock row (StateTable; both store adapters keep it: RedisSlots mirrors its
 * locks there, DatabaseSlots writes them) that
 * - still holds the caller's token (the hold was not lost or taken over),
 * - carries a fence no lower than the slot's fence row (StoreRules: the
 *   highest fence issued or booked for the slot; a stale holder is refused),
 * and the UNIQUE key on `active_slot` refuses a second active booking of the
 * slot whatever the locks said. When nothing was written, reads tell why:
 * the same hold already booked (a repeated confirmation: its booking),
 * another booking, a stale fence, or a lost hold.
 *
 * A statement the database refused (a missing table, a deadlock) throws
 * BookingStorageError: "nothing written" must mean a business answer, never
 * an SQL failure read as a stale fence or an already cancelled booking.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingStore
{
    public const CONFIRMED = 'confirmed';
    public const CANCELLED = 'cancelled';
    /** A booked slot's fence is remembered this long after the slot's day. */
    private const FENCE_MEMORY_DAYS = 2;
    /** A person's bookings: by identity hash, or by the stored address (never by an empty one). */
    private const PERSON = "(identity_hash = %s OR (email <> '' AND email = %s))";
    private const COLUMNS = 'id, reference, resource, slot_date, slot_time, seat, status, fence, mode, identity_hash, email,'
        . ' created_at, cancelled_at';

    /** What `active_slot` holds while a booking is active (seat 1: capacity one). */
    public static function active_slot(string $date, string $time, string $resource, int $seat = 1): string
    {
        return $date . '|' . $time . '|' . $resource . '|' . $seat;
    }

    public static function hold_hash(string $token): string
    {
        return hash('sha256', 'hold:' . $token);
    }

    /** A reference people can read out: RP- and 10 characters of Crockford base32 (50 bits). */
    public static function new_reference(): string
    {
        $alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
        $bytes = random_bytes(10);
        $reference = 'RP-';
        for ($i = 0; $i < 10; $i++) {
            $reference .= $alphabet[ord($bytes[$i]) & 31];
        }
        return $reference;
    }

    /**
     * Books a held slot.
     *
     * @param array{identity_hash: string, email: string, mode: string} $who
     * @return array{result: 'created'|'repeated'|'booked'|'stale'|'lost', booking: array<string, mixed>|null}
     */
    public function book(string $date, string $time, string $resource, string $token, array $who): array
    {
        global $wpdb;
        $table = BookingTable::name();
        $state = StateTable::name();
        $lock = StoreRules::lock_name($date, $resource, $time);
        $reference = self::new_reference();
        $now = StateTable::now_ms();
        $wpdb->query($wpdb->prepare(
            "INSERT IGNORE INTO `$table`
                (reference, resource, slot_date, slot_time, seat, active_slot, status, fence, mode, hold_hash,
                 identity_hash, email, created_at)
             SELECT %s, %s, %s, %s, 1, %s, %s, l.counter, %s, %s, %s, %s, %s
             FROM `$state` l
             WHERE l.name = %s AND l.value = %s AND l.expires_at > %d
               AND NOT EXISTS (SELECT 1 FROM `$state` f WHERE f.name = %s AND f.counter > l.counter)",
            $reference,
            $resource,
            $date,
            $time,
            self::active_slot($date, $time, $resource),
            self::CONFIRMED,
            $who['mode'],
            self::hold_hash($token),
            $who['identity_hash'],
            $who['email'],
            gmdate('Y-m-d H:i:s'),
            $lock,
            $token,
            $now,
            'fence:' . $lock
        ));
        self::check('book');
        if ($wpdb->rows_affected === 1) {
            $booking = $this->find($reference);
            if ($booking !== null) {
                // The booked fence stays the slot's floor after the hold row is gone.
                $until = (int) (strtotime($date . ' 00:00:00 UTC') + (self::FENCE_MEMORY_DAYS + 1) * DAY_IN_SECONDS) * 1000;
                (new StateTable())->see_fence($lock, (int) $booking['fence'], $until);
            }
            return ['result' => 'created', 'booking' => $booking];
        }
        $active = $this->active($date, $time, $resource);
        self::check('book');
        if ($active !== null) {
            $same = hash_equals($active['hold_hash'], self::hold_hash($token))
                && hash_equals($active['identity_hash'], $who['identity_hash']);
            unset($active['hold_hash']);
            return ['result' => $same ? 'repeated' : 'booked', 'booking' => $active];
        }
        $held = (new StateTable())->get($lock);
        $ours = $held !== null && hash_equals($held['value'], $token);
        return ['result' => $ours ? 'stale' : 'lost', 'booking' => null];
    }

    /** @return array<string, mixed>|null the active booking of a slot, with its hold_hash */
    private function active(string $date, string $time, string $resource): ?array
    {
        global $wpdb;
        $table = BookingTable::name();
        $row = $wpdb->get_row($wpdb->prepare(
            'SELECT ' . self::COLUMNS . ", hold_hash FROM `$table` WHERE active_slot = %s",
            self::active_slot($date, $time, $resource)
        ), ARRAY_A);
        return is_array($row) ? self::typed($row) + ['hold_hash' => (string) $row['hold_hash']] : null;
    }

    /** @return array<string, mixed>|null */
    public function find(string $reference): ?array
    {
        global $wpdb;
        $table = BookingTable::name();
        $row = $wpdb->get_row($wpdb->prepare('SELECT ' . self::COLUMNS . " FROM `$table` WHERE reference = %s", $reference), ARRAY_A);
        return is_array($row) ? self::typed($row) : null;
    }

    /** Cancels an active booking; true for exactly one caller. */
    public function cancel(string $reference): bool
    {
        global $wpdb;
        $table = BookingTable::name();
        $wpdb->query($wpdb->prepare(
            "UPDATE `$table` SET status = %s, active_slot = NULL, cancelled_at = %s WHERE reference = %s AND status = %s",
            self::CANCELLED,
            gmdate('Y-m-d H:i:s'),
            $reference,
            self::CONFIRMED
        ));
        self::check('cancel');
        return $wpdb->rows_affected === 1;
    }

    /** @return list<string> the booked times of a day and resource (HH:MM, sorted) */
    public function booked_times(string $date, string $resource): array
    {
        global $wpdb;
        $table = BookingTable::name();
        $times = $wpdb->get_col($wpdb->prepare(
            "SELECT slot_time FROM `$table` WHERE slot_date = %s AND resource = %s AND active_slot IS NOT NULL ORDER BY slot_time",
            $date,
            $resource
        ));
        self::check('booked_times');
        return array_values(array_map('strval', is_array($times) ? $times : []));
    }

    public function is_booked(string $date, string $time, string $resource): bool
    {
        global $wpdb;
        $table = BookingTable::name();
        $booked = (bool) $wpdb->get_var($wpdb->prepare(
            "SELECT 1 FROM `$table` WHERE active_slot = %s",
            self::active_slot($date, $time, $resource)
        ));
        // A failed read must not pass for a free slot.
        self::check('is_booked');
        return $booked;
    }

    /** Throws when the database refused the last statement (wpdb resets last_error before each). */
    private static function check(string $what): void
    {
        global $wpdb;
        if ((string) $wpdb->last_error !== '') {
            throw new BookingStorageError("BookingStore::$what: the database refused the statement: " . $wpdb->last_error);
        }
    }

    /**
     * Bookings matching the filters, newest slot first.
     *
     * `person` is [identity hash, email]: bookings with that hash or that
     * stored address (a rotated salt changes the hash, not the address).
     *
     * @param array{date?: string, from?: string, resource?: string, status?: string, person?: array{0: string, 1: string}} $filters
     * @return list<array<string, mixed>>
     */
    public function search(array $filters, int $limit = 100, int $offset = 0, string $order = 'DESC'): array
    {
        global $wpdb;
        $table = BookingTable::name();
        [$where, $args] = self::where($filters);
        $order = $order === 'ASC' ? 'ASC' : 'DESC';
        $args[] = max(1, min(1000, $limit));
        $args[] = max(0, $offset);
        $rows = $wpdb->get_results($wpdb->prepare(
            'SELECT ' . self::COLUMNS . " FROM `$table` WHERE $where"
                . " ORDER BY slot_date $order, slot_time $order, id $order LIMIT %d OFFSET %d",
            ...$args
        ), ARRAY_A);
        return array_map([self::class, 'typed'], is_array($rows) ? $rows : []);
    }

    /** @param array{date?: string, from?: string, resource?: string, status?: string, person?: array{0: string, 1: string}} $filters */
    public function count(array $filters): int
    {
        global $wpdb;
        $table = BookingTable::name();
        [$where, $args] = self::where($filters);
        $sql = "SELECT COUNT(*) FROM `$table` WHERE $where";
        return (int) $wpdb->get_var($args === [] ? $sql : $wpdb->prepare($sql, ...$args));
    }

    /**
     * @param array<string, mixed> $filters
     * @return array{0: string, 1: list<string>}
     */
    private static function where(array $filters): array
    {
        $where = ['1 = 1'];
        $args = [];
        $columns = [
            'date' => 'slot_date = %s',
            'from' => 'slot_date >= %s',
            'resource' => 'resource = %s',
            'status' => 'status = %s',
        ];
        foreach ($columns as $name => $clause) {
            if (isset($filters[$name]) && $filters[$name] !== '') {
                $where[] = $clause;
                $args[] = (string) $filters[$name];
            }
        }
        if (isset($filters['person']) && is_array($filters['person'])) {
            [$identity_hash, $email] = array_map('strval', $filters['person']);
            $where[] = self::PERSON;
            array_push($args, $identity_hash, $email);
        }
        return [implode(' AND ', $where), $args];
    }

    /**
     * Removes the personal data of a person's bookings, found by identity
     * hash or stored address (they stay as anonymous occupancy); how many.
     */
    public function erase_person(string $identity_hash, string $email): int
    {
        global $wpdb;
        $table = BookingTable::name();
        $wpdb->query($wpdb->prepare(
            "UPDATE `$table` SET email = '', identity_hash = SHA2(CONCAT('erased:', reference), 256) WHERE " . self::PERSON,
            $identity_hash,
            $email
        ));
        self::check('erase_person');
        return (int) $wpdb->rows_affected;
    }

    /**
     * @param array<string, mixed> $row
     * @return array<string, mixed>
     */
    private static function typed(array $row): array
    {
        return [
            'id' => (int) $row['id'],
            'reference' => (string) $row['reference'],
            'date' => (string) $row['slot_date'],
            'time' => (string) $row['slot_time'],
            'resource' => (string) $row['resource'],
            'seat' => (int) $row['seat'],
            'status' => (string) $row['status'],
            'fence' => (int) $row['fence'],
            'mode' => (string) $row['mode'],
            'identity_hash' => (string) $row['identity_hash'],
            'email' => (string) $row['email'],
            'created_at' => (string) $row['created_at'],
            'cancelled_at' => $row['cancelled_at'] === null ? null : (string) $row['cancelled_at'],
        ];
    }
}
