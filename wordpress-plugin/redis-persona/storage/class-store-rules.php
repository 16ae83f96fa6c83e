<?php

/**
 * The rules both store adapters follow, so neither reaches into the other:
 * the names of slot lock rows (which RedisSlots mirrors its locks into and
 * DatabaseSlots writes), how tokens and content fences issued by the
 * database adapter are told apart, and reading a day's live lock rows.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class StoreRules
{
    /** Tokens and fences the database adapter issues start with this. */
    private const FALLBACK_MARK = 'fb';

    public static function lock_name(string $date, string $resource, string $time = ''): string
    {
        return 'lock:' . $date . ':' . $resource . ':' . $time;
    }

    /** A new lock token of the database adapter (34 characters). */
    public static function fallback_token(): string
    {
        return self::FALLBACK_MARK . bin2hex(random_bytes(16));
    }

    /** Tokens of locks taken in fallback mode say so, wherever they are presented later. */
    public static function is_fallback_token(string $token): bool
    {
        return str_starts_with($token, self::FALLBACK_MARK) && strlen($token) === 34;
    }

    /** The database adapter's content fence: its generation, marked. */
    public static function fallback_fence(int $generation): string
    {
        return self::FALLBACK_MARK . $generation;
    }

    /** A fence observed on the database adapter (Redis may hold older HTML than that render saw). */
    public static function is_fallback_fence(string $fence): bool
    {
        return str_starts_with($fence, self::FALLBACK_MARK);
    }

    /**
     * The live lock rows of a day and resource, whichever adapter wrote them.
     *
     * @return array<string, array{time: string, owner: string, fence: int, expires_at: float}>
     */
    public static function locks_in(StateTable $table, string $date, string $resource): array
    {
        $prefix = self::lock_name($date, $resource);
        $locked = [];
        foreach ($table->with_prefix($prefix) as $row) {
            $time = substr($row['name'], strlen($prefix));
            $data = json_decode($row['data'], true);
            $locked[$time] = [
                'time' => $time,
                'owner' => is_array($data) && isset($data['owner']) ? (string) $data['owner'] : '',
                'fence' => $row['counter'],
                'expires_at' => $row['expires_at'] / 1000,
            ];
        }
        return $locked;
    }
}
