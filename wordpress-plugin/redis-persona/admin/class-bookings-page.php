<?php

/**
 * Tools → Bookings: the plugin's bookings (BookingsListTable) filtered by
 * day and resource, cancel (nonce-checked), CSV export of the filtered
 * rows, and whether uninstalling deletes bookings (off by default). The
 * dashboard widget lists today's and upcoming bookings.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class BookingsPage
{
    public const PAGE = 'redis-persona-bookings';
    private Bookings $bookings;

    public function __construct(Bookings $bookings)
    {
        $this->bookings = $bookings;
    }

    public static function url(): string
    {
        return admin_url('tools.php?page=' . self::PAGE);
    }

    public function menu(): void
    {
        $hook = add_management_page(
            __('Bookings', 'redis-persona'),
            __('Bookings', 'redis-persona'),
            Plugin::capability(),
            self::PAGE,
            [$this, 'render']
        );
        if (is_string($hook)) {
            add_action('load-' . $hook, [$this, 'handle']);
        }
    }

    /** @return array{date: string, resource: string, status: string} */
    private static function filters(): array
    {
        $get = static fn (string $name): string => isset($_GET[$name]) && is_string($_GET[$name])
            ? sanitize_text_field(wp_unslash($_GET[$name]))
            : '';
        $date = $get('date');
        $resource = $get('resource');
        $status = $get('status');
        return [
            'date' => Booking::valid_date($date) ? $date : '',
            'resource' => Booking::valid_resource($resource) ? $resource : '',
            'status' => in_array($status, [BookingStore::CONFIRMED, BookingStore::CANCELLED], true) ? $status : '',
        ];
    }

    /** Actions of the screen, before any output: cancel, CSV export, the uninstall choice. */
    public function handle(): void
    {
        if (!current_user_can(Plugin::capability())) {
            return;
        }
        $action = isset($_REQUEST['action']) && is_string($_REQUEST['action']) ? sanitize_key($_REQUEST['action']) : '';
        if ($action === 'rp-cancel') {
            $reference = isset($_GET['reference']) && is_string($_GET['reference'])
                ? sanitize_text_field(wp_unslash($_GET['reference']))
                : '';
            check_admin_referer('rp-cancel-' . $reference);
            try {
                $done = $this->bookings->cancel($reference) ? 'cancelled' : 'not-cancelled';
            } catch (BookingStorageError $e) {
                $this->bookings->report($e);
                $done = 'storage-error';
            }
            wp_safe_redirect(add_query_arg(['done' => $done], self::url()));
            exit;
        }
        if ($action === 'rp-export') {
            check_admin_referer('rp-export');
            $this->export(self::filters());
        }
        if ($action === 'rp-uninstall-choice') {
            check_admin_referer('rp-uninstall-choice');
            update_option(BookingTable::DELETE_ON_UNINSTALL_OPTION, !empty($_POST['delete_bookings']) ? 1 : 0, false);
            wp_safe_redirect(add_query_arg(['done' => 'saved'], self::url()));
            exit;
        }
    }

    /** @param array{date: string, resource: string, status: string} $filters */
    private function export(array $filters): void
    {
        nocache_headers();
        header('Content-Type: text/csv; charset=utf-8');
        header('Content-Disposition: attachment; filename="bookings-' . gmdate('Ymd-His') . '.csv"');
        $out = fopen('php://output', 'w');
        if ($out === false) {
            exit;
        }
        $columns = ['reference', 'date', 'time', 'resource', 'status', 'email', 'fence', 'mode', 'created_at', 'cancelled_at'];
        fputcsv($out, $columns);
        $store = $this->bookings->store();
        for ($offset = 0;; $offset += 500) {
            $rows = $store->search($filters, 500, $offset, 'ASC');
            foreach ($rows as $row) {
                // A cell starting with = + - @ would be a formula in a spreadsheet.
                $cells = [];
                foreach ($columns as $column) {
                    $cells[] = (string) preg_replace('/^([=+\-@\t\r])/', "'$1", (string) ($row[$column] ?? ''));
                }
                fputcsv($out, $cells);
            }
            if (count($rows) < 500) {
                break;
            }
        }
        fclose($out);
        exit;
    }

    public function render(): void
    {
        $filters = self::filters();
        $table = new BookingsListTable($this->bookings->store(), $filters);
        $table->prepare_items();
        $done = isset($_GET['done']) && is_string($_GET['done']) ? sanitize_key($_GET['done']) : '';
        $notices = [
            'cancelled' => __('The booking was cancelled.', 'redis-persona'),
            'not-cancelled' => __('That booking was not active.', 'redis-persona'),
            'storage-error' => __('The database refused the cancellation; nothing was changed. Try again later.', 'redis-persona'),
            'saved' => __('Saved.', 'redis-persona'),
        ];
        echo '<div class="wrap"><h1>' . esc_html__('Bookings', 'redis-persona') . '</h1>';
        if (isset($notices[$done])) {
            $kind = $done === 'storage-error' ? 'error' : 'success';
            printf('<div class="notice notice-%s is-dismissible"><p>%s</p></div>', esc_attr($kind), esc_html($notices[$done]));
        }
        echo '<form method="get" class="rp-bookings-filter"><input type="hidden" name="page" value="' . esc_attr(self::PAGE) . '">';
        printf(
            '<label>%s <input type="date" name="date" value="%s"></label> '
            . '<label>%s <input type="text" name="resource" value="%s" pattern="[A-Za-z0-9_.\-]{1,64}"></label> ',
            esc_html__('Day', 'redis-persona'),
            esc_attr($filters['date']),
            esc_html__('Resource', 'redis-persona'),
            esc_attr($filters['resource'])
        );
        submit_button(__('Filter', 'redis-persona'), 'secondary', '', false);
        $export = wp_nonce_url(add_query_arg(['action' => 'rp-export'] + array_filter($filters), self::url()), 'rp-export');
        printf(' <a class="button" href="%s">%s</a></form>', esc_url($export), esc_html__('Export CSV', 'redis-persona'));
        $table->display();
        echo '<h2>' . esc_html__('When the plugin is deleted', 'redis-persona') . '</h2><form method="post">';
        wp_nonce_field('rp-uninstall-choice');
        printf(
            '<input type="hidden" name="action" value="rp-uninstall-choice">'
            . '<label><input type="checkbox" name="delete_bookings" value="1" %s> %s</label>',
            checked((bool) get_option(BookingTable::DELETE_ON_UNINSTALL_OPTION), true, false),
            esc_html__('Delete all bookings too (otherwise the bookings table is kept).', 'redis-persona')
        );
        submit_button(__('Save', 'redis-persona'), 'secondary', '', false);
        echo '</form></div>';
    }

    public function dashboard_setup(): void
    {
        if (current_user_can(Plugin::capability())) {
            wp_add_dashboard_widget('redis_persona_bookings', __('Bookings: today and upcoming', 'redis-persona'), [$this, 'dashboard']);
        }
    }

    public function dashboard(): void
    {
        $today = Booking::today();
        $rows = $this->bookings->store()->search(['from' => $today, 'status' => BookingStore::CONFIRMED], 10, 0, 'ASC');
        if ($rows === []) {
            echo '<p>' . esc_html__('No upcoming bookings.', 'redis-persona') . '</p>';
        } else {
            echo '<ul class="rp-upcoming">';
            foreach ($rows as $row) {
                printf(
                    '<li>%s<strong>%s %s</strong> %s <code>%s</code></li>',
                    $row['date'] === $today ? '<span class="rp-today">' . esc_html__('Today', 'redis-persona') . '</span> ' : '',
                    esc_html($row['date']),
                    esc_html($row['time']),
                    esc_html($row['resource']),
                    esc_html($row['reference'])
                );
            }
            echo '</ul>';
        }
        printf('<p><a href="%s">%s</a></p>', esc_url(self::url()), esc_html__('All bookings', 'redis-persona'));
    }
}
