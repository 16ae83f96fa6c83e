<?php

/**
 * The Bookings screen's table (WP_List_Table): one row per booking of the
 * plugin, filtered by day and resource, with its fence and the mode its hold
 * was taken in, and a Cancel row action for active bookings (a nonce-checked
 * GET handled by BookingsPage).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

if (!class_exists('WP_List_Table')) {
    require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

final class BookingsListTable extends \WP_List_Table
{
    private const PER_PAGE = 50;
    private BookingStore $store;
    /** @var array{date: string, resource: string, status: string} */
    private array $filters;

    /** @param array{date: string, resource: string, status: string} $filters */
    public function __construct(BookingStore $store, array $filters)
    {
        parent::__construct(['singular' => 'booking', 'plural' => 'bookings', 'ajax' => false]);
        $this->store = $store;
        $this->filters = $filters;
    }

    /** @return array<string, string> */
    public function get_columns(): array
    {
        return [
            'reference' => __('Reference', 'redis-persona'),
            'slot' => __('Slot', 'redis-persona'),
            'resource' => __('Resource', 'redis-persona'),
            'status' => __('Status', 'redis-persona'),
            'email' => __('Email', 'redis-persona'),
            'fence' => __('Fence', 'redis-persona'),
            'created_at' => __('Booked (UTC)', 'redis-persona'),
        ];
    }

    public function prepare_items(): void
    {
        $this->_column_headers = [$this->get_columns(), [], []];
        $page = $this->get_pagenum();
        $this->items = $this->store->search($this->filters, self::PER_PAGE, ($page - 1) * self::PER_PAGE);
        $total = $this->store->count($this->filters);
        $this->set_pagination_args([
            'total_items' => $total,
            'per_page' => self::PER_PAGE,
            'total_pages' => (int) ceil($total / self::PER_PAGE),
        ]);
    }

    public function no_items(): void
    {
        esc_html_e('No bookings match.', 'redis-persona');
    }

    /**
     * @param array<string, mixed> $item
     * @param string $column_name
     */
    protected function column_default($item, $column_name): string
    {
        return esc_html((string) ($item[$column_name] ?? ''));
    }

    /** @param array<string, mixed> $item */
    protected function column_reference($item): string
    {
        $out = '<strong>' . esc_html($item['reference']) . '</strong>';
        if ($item['status'] === BookingStore::CONFIRMED) {
            $url = wp_nonce_url(
                add_query_arg(['action' => 'rp-cancel', 'reference' => $item['reference']], BookingsPage::url()),
                'rp-cancel-' . $item['reference']
            );
            $out .= $this->row_actions([
                'cancel' => sprintf('<a href="%s" class="rp-cancel">%s</a>', esc_url($url), esc_html__('Cancel', 'redis-persona')),
            ]);
        }
        return $out;
    }

    /** @param array<string, mixed> $item */
    protected function column_slot($item): string
    {
        return esc_html($item['date'] . ' ' . $item['time']);
    }

    /** @param array<string, mixed> $item */
    protected function column_status($item): string
    {
        $label = $item['status'] === BookingStore::CONFIRMED ? __('Confirmed', 'redis-persona') : __('Cancelled', 'redis-persona');
        if ($item['cancelled_at'] !== null) {
            /* translators: 1: status, 2: when (UTC) */
            $label = sprintf(__('%1$s %2$s', 'redis-persona'), $label, $item['cancelled_at']);
        }
        return esc_html($label);
    }

    /** @param array<string, mixed> $item */
    protected function column_fence($item): string
    {
        $mode = $item['mode'] === 'redis' ? __('held in Redis', 'redis-persona') : __('held in the database fallback', 'redis-persona');
        return esc_html((string) $item['fence']) . '<br><span class="description">' . esc_html($mode) . '</span>';
    }
}
