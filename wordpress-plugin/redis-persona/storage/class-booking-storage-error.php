<?php

/**
 * Thrown by BookingStore when the database refused a booking statement (a
 * missing table, a deadlock, a lost connection). It must never read as a
 * business answer such as "stale fence" or "already cancelled": the REST
 * routes answer it with 500 `rp_booking_storage` and report it through
 * Backend::report() (`redis_persona_error`).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingStorageError extends \RuntimeException
{
}
