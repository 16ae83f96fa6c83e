<?php

/**
 * Bookings in WordPress's personal-data tools (Tools → Export/Erase Personal
 * Data). Bookings are found by the identity's keyed hash, so they are found
 * even when the site chose not to keep email addresses, and by the stored
 * address, so they are still found after the salt behind the hash was
 * rotated. Erasing removes the address and the hash; the booking stays as
 * anonymous occupancy of its slot (a slot someone booked stays booked).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingPrivacy
{
    private const PAGE_SIZE = 100;

    /**
     * @param array<string, array<string, mixed>> $exporters
     * @return array<string, array<string, mixed>>
     */
    public static function exporters($exporters): array
    {
        $exporters = is_array($exporters) ? $exporters : [];
        $exporters['redis-persona-bookings'] = [
            'exporter_friendly_name' => __('Bookings (Redis Persona)', 'redis-persona'),
            'callback' => [self::class, 'export'],
        ];
        return $exporters;
    }

    /**
     * @param array<string, array<string, mixed>> $erasers
     * @return array<string, array<string, mixed>>
     */
    public static function erasers($erasers): array
    {
        $erasers = is_array($erasers) ? $erasers : [];
        $erasers['redis-persona-bookings'] = [
            'eraser_friendly_name' => __('Bookings (Redis Persona)', 'redis-persona'),
            'callback' => [self::class, 'erase'],
        ];
        return $erasers;
    }

    /** @return array{data: list<array<string, mixed>>, done: bool} */
    public static function export(string $email, int $page = 1): array
    {
        $store = new BookingStore();
        $offset = (max(1, $page) - 1) * self::PAGE_SIZE;
        $rows = $store->search(['person' => self::person($email)], self::PAGE_SIZE, $offset);
        $data = [];
        foreach ($rows as $row) {
            $fields = [
                'reference' => __('Reference', 'redis-persona'),
                'resource' => __('Resource', 'redis-persona'),
                'date' => __('Date', 'redis-persona'),
                'time' => __('Time', 'redis-persona'),
                'status' => __('Status', 'redis-persona'),
                'email' => __('Email', 'redis-persona'),
                'created_at' => __('Booked at (UTC)', 'redis-persona'),
                'cancelled_at' => __('Cancelled at (UTC)', 'redis-persona'),
            ];
            $item = [];
            foreach ($fields as $key => $name) {
                if ($row[$key] !== null && $row[$key] !== '') {
                    $item[] = ['name' => $name, 'value' => (string) $row[$key]];
                }
            }
            $data[] = [
                'group_id' => 'redis-persona-bookings',
                'group_label' => __('Bookings', 'redis-persona'),
                'item_id' => 'booking-' . $row['reference'],
                'data' => $item,
            ];
        }
        return ['data' => $data, 'done' => count($rows) < self::PAGE_SIZE];
    }

    /** @return array{0: string, 1: string} the identity hash and the address as bookings store it */
    private static function person(string $email): array
    {
        $address = strtolower(trim($email));
        return [Bookings::identity_hash($address), $address];
    }

    /** @return array{items_removed: bool, items_retained: bool, messages: list<string>, done: bool} */
    public static function erase(string $email, int $page = 1): array
    {
        [$identity_hash, $address] = self::person($email);
        $erased = (new BookingStore())->erase_person($identity_hash, $address);
        return [
            'items_removed' => $erased > 0,
            'items_retained' => false,
            'messages' => [],
            'done' => true,
        ];
    }
}
