<?php

/**
 * Loads the plugin's classes on first use. The plugin is laid out by
 * feature, one folder each, and this map is the index a newcomer reads to
 * find one: `Preload` lives in `content/class-preload.php` (WordPress-style
 * file names: `class-` and the class name in kebab case). Classes keep the
 * one `RedisPersona\WordPress` namespace, so moving a file between folders
 * changes only this map, never a caller.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

const CLASS_FOLDERS = [
    // The hooks hub and what every feature reads.
    'Plugin' => 'includes',
    'Config' => 'includes',
    'Topology' => 'includes',
    'Policy' => 'includes',
    'Health' => 'includes',
    'PreloadQueue' => 'includes',
    // Persona content: variants, fragment cache, invalidation, preloading.
    'Persona' => 'content',
    'Content' => 'content',
    'DoNotCache' => 'content',
    'Invalidation' => 'content',
    'Preload' => 'content',
    // Full-page tier: the drop-in's request, settings and server, and its part inside WordPress.
    'PageRequest' => 'page',
    'PageSettings' => 'page',
    'PageServer' => 'page',
    'PageTags' => 'page',
    'PageTier' => 'page',
    'PageInvalidation' => 'page',
    'PagePreload' => 'page',
    'DropIn' => 'page',
    // Booking: slot locks, one-time codes, rate limits, stored bookings.
    'Booking' => 'booking',
    'ClientAddress' => 'booking',
    'LimitExceeded' => 'booking',
    'Bookings' => 'booking',
    'CancelLink' => 'booking',
    'BookingPrivacy' => 'booking',
    'BookingWidget' => 'booking',
    // REST routes under redis-persona/v1.
    'RestController' => 'rest',
    'RestHealthController' => 'rest',
    'RestStatsController' => 'rest',
    'RestAvailabilityController' => 'rest',
    'RestCacheController' => 'rest',
    'RestSlotsController' => 'rest',
    'RestOtpController' => 'rest',
    'RestBookingsController' => 'rest',
    // Settings page, dashboard chart, Site Health, the Bookings screen.
    'Admin' => 'admin',
    'Chart' => 'admin',
    'SiteHealth' => 'admin',
    'BookingsPage' => 'admin',
    'BookingsListTable' => 'admin',
    // Redis and database adapters, and the Backend that switches between them.
    'Store' => 'storage',
    'ContentStore' => 'storage',
    'RelationStore' => 'storage',
    'InvalidationStore' => 'storage',
    'StatsStore' => 'storage',
    'SlotStore' => 'storage',
    'CodeStore' => 'storage',
    'LimitStore' => 'storage',
    'ValueStore' => 'storage',
    'StoreRules' => 'storage',
    'StoreAdapters' => 'storage',
    'RedisContent' => 'storage',
    'RedisRelations' => 'storage',
    'RedisStats' => 'storage',
    'RedisSlots' => 'storage',
    'RedisCodes' => 'storage',
    'RedisLimits' => 'storage',
    'RedisValues' => 'storage',
    'DatabaseContent' => 'storage',
    'DatabaseRelations' => 'storage',
    'DatabaseStats' => 'storage',
    'DatabaseSlots' => 'storage',
    'DatabaseCodes' => 'storage',
    'DatabaseLimits' => 'storage',
    'DatabaseValues' => 'storage',
    'RedisStore' => 'storage',
    'FallbackStore' => 'storage',
    'Backend' => 'storage',
    'StateTable' => 'storage',
    'BookingTable' => 'storage',
    'BookingStore' => 'storage',
    'BookingStorageError' => 'storage',
    // `wp redis-persona …`.
    'Cli' => 'cli',
];

spl_autoload_register(static function (string $class): void {
    $prefix = __NAMESPACE__ . '\\';
    if (!str_starts_with($class, $prefix)) {
        return;
    }
    $name = substr($class, strlen($prefix));
    $folder = CLASS_FOLDERS[$name] ?? null;
    if ($folder === null) {
        return;
    }
    $file = strtolower((string) preg_replace('/(?<=[a-z])(?=[A-Z])/', '-', $name));
    require dirname(__DIR__) . '/' . $folder . '/class-' . $file . '.php';
});
