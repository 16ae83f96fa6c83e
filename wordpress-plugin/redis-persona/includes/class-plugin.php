<?php

/**
 * The hooks hub: every add_action/add_filter of the plugin is here, and the
 * services are built on first use (a cached page view builds only Config,
 * Persona, Backend and Content).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Plugin
{
    public const PURGE_HOOK = 'redis_persona_purge';

    private static ?Plugin $instance = null;
    private Config $config;
    private ?Backend $backend = null;
    private ?Persona $persona = null;
    private ?Content $content = null;
    private ?Preload $preload = null;
    private ?Invalidation $invalidation = null;
    private ?Booking $booking = null;
    private ?PageTier $page = null;
    private ?PageInvalidation $page_invalidation = null;
    private ?PagePreload $page_preload = null;
    private ?Bookings $bookings = null;

    private function __construct()
    {
        $this->config = new Config();
    }

    public static function instance(): self
    {
        return self::$instance ??= new self();
    }

    /** The capability that administers the plugin (filter `redis_persona_capability`). */
    public static function capability(): string
    {
        $capability = apply_filters('redis_persona_capability', 'manage_options');
        return is_string($capability) && $capability !== '' ? $capability : 'manage_options';
    }

    public function config(): Config
    {
        return $this->config;
    }

    public function backend(): Backend
    {
        return $this->backend ??= new Backend($this->config, new StateTable());
    }

    public function persona(): Persona
    {
        return $this->persona ??= new Persona($this->config);
    }

    public function content(): Content
    {
        return $this->content ??= new Content($this);
    }

    public function preload(): Preload
    {
        return $this->preload ??= new Preload($this);
    }

    public function invalidation(): Invalidation
    {
        return $this->invalidation ??= new Invalidation($this);
    }

    public function booking(): Booking
    {
        return $this->booking ??= new Booking($this->backend(), new StateTable());
    }

    public function page(): PageTier
    {
        return $this->page ??= new PageTier($this);
    }

    public function page_invalidation(): PageInvalidation
    {
        return $this->page_invalidation ??= new PageInvalidation($this);
    }

    public function page_preload(): PagePreload
    {
        return $this->page_preload ??= new PagePreload($this);
    }

    public function bookings(): Bookings
    {
        return $this->bookings ??= new Bookings($this->backend(), $this->booking(), new BookingStore());
    }

    public function register_hooks(): void
    {
        add_action('plugins_loaded', [StateTable::class, 'install']);
        add_action('plugins_loaded', [BookingTable::class, 'migrate']);
        add_action('admin_init', [BookingTable::class, 'migrate']);
        add_action('init', [$this, 'init']);

        // Persona content.
        add_action('template_redirect', $this->safely(fn () => $this->content()->prepare()), 99);
        add_filter('the_content', fn ($content) => $this->content()->begin($content), PHP_INT_MIN);
        add_filter('the_content', fn ($content) => $this->content()->end($content), PHP_INT_MAX);
        add_action('wp_enqueue_scripts', [$this, 'enqueue_booking']);

        // Invalidation and preloading: a failure here must never break saving a post.
        add_action('save_post', $this->safely(fn ($id, $post) => $this->invalidation()->saved((int) $id, $post)), 10, 2);
        add_action('deleted_post', $this->safely(fn ($id) => $this->invalidation()->removed((int) $id)));
        add_action('trashed_post', $this->safely(fn ($id) => $this->invalidation()->removed((int) $id)));
        add_action('set_object_terms', $this->safely(fn ($id) => $this->invalidation()->terms_set((int) $id)));
        add_action('edited_term', $this->safely(fn ($term_id) => $this->invalidation()->term_edited((int) $term_id)));
        add_action('switch_theme', $this->safely(fn () => $this->invalidation()->flush()));
        add_action(Preload::HOOK, $this->safely(fn () => $this->preload()->run()));

        // Full-page tier (the drop-in answers hits before WordPress loads; this is the rest).
        add_action('init', $this->safely(fn () => $this->page_front_end()), 0);
        $transition = fn ($new, $old, $post) => $this->page_invalidation()->transition($new, $old, $post);
        add_action('transition_post_status', $this->safely($transition), 10, 3);
        add_action('save_post', $this->safely(fn ($id) => $this->page_invalidation()->note_pages((int) $id)), 9);
        $post_changed = $this->safely(function ($id): void {
            $post = get_post((int) $id);
            if ($post instanceof \WP_Post) {
                $this->page_invalidation()->post_changed($post);
            }
        });
        add_action('wp_after_insert_post', $post_changed);
        add_action('wp_trash_post', $this->safely(fn ($id) => $this->page_invalidation()->note_pages((int) $id)));
        add_action('trashed_post', $post_changed);
        add_action('before_delete_post', $this->safely(fn ($id) => $this->page_invalidation()->deleting((int) $id)));
        add_action('deleted_post', $this->safely(fn ($id) => $this->page_invalidation()->deleted((int) $id)), 20);
        add_action('delete_term', $this->safely(fn ($term_id) => $this->invalidation()->term_edited((int) $term_id)));
        // Comments: one approved at insertion, any change to or from approved, an edit.
        $comment_changed = $this->safely(function ($comment): void {
            $comment = get_comment($comment);
            if ($comment instanceof \WP_Comment) {
                $this->page_invalidation()->comment_changed((int) $comment->comment_post_ID);
            }
        });
        add_action(
            'wp_insert_comment',
            fn ($id, $comment) => (string) ($comment->comment_approved ?? '') === '1' ? $comment_changed($id) : null,
            10,
            2
        );
        add_action(
            'transition_comment_status',
            fn ($new, $old, $comment) => $new === 'approved' || $old === 'approved' ? $comment_changed($comment) : null,
            10,
            3
        );
        add_action('edit_comment', $comment_changed);
        $flush_pages = $this->safely(fn () => $this->page_invalidation()->flush());
        add_action('wp_update_nav_menu', $flush_pages);
        add_action('customize_save_after', $flush_pages);
        add_action('updated_option', $this->safely(fn ($option) => $this->page_invalidation()->option_updated((string) $option)));
        add_action(PagePreload::HOOK, $this->safely(fn () => $this->page_preload()->run()));
        $settings_saved = $this->safely(fn () => $this->page()->install());
        add_action('update_option_' . Config::OPTION, $settings_saved);
        add_action('add_option_' . Config::OPTION, $settings_saved);
        add_filter('site_status_page_cache_supported_cache_headers', [SiteHealth::class, 'page_cache_headers']);
        add_action(self::PURGE_HOOK, $this->safely(fn () => (new StateTable())->purge_expired()));

        // Booking.
        $booking_changed = $this->safely(fn ($date, $resource) => $this->booking()->booking_changed($date, $resource));
        $heartbeat = $this->safely(fn ($response, $data) => $this->booking()->heartbeat($response, $data));
        add_action('redis_persona_booking_changed', $booking_changed, 10, 2);
        add_filter('heartbeat_received', $heartbeat, 10, 2);
        add_filter('heartbeat_nopriv_received', $heartbeat, 10, 2);
        add_action('template_redirect', fn () => CancelLink::handle($this->bookings()), 1);
        add_filter('wp_privacy_personal_data_exporters', [BookingPrivacy::class, 'exporters']);
        add_filter('wp_privacy_personal_data_erasers', [BookingPrivacy::class, 'erasers']);

        add_action('rest_api_init', [$this, 'register_routes']);
        add_filter('rest_pre_dispatch', [RestController::class, 'refuse_scalar_json'], 10, 3);

        // Administration.
        if (is_admin()) {
            $admin = new Admin($this);
            add_action('admin_menu', [$admin, 'menu']);
            add_action('admin_init', [$admin, 'register_settings']);
            add_action('admin_enqueue_scripts', [$admin, 'enqueue']);
            add_filter('plugin_action_links_' . plugin_basename(REDIS_PERSONA_FILE), [$admin, 'action_links']);
            add_action('admin_init', $this->safely(fn () => $this->page()->sync_settings()));
            add_action('admin_notices', [$admin, 'page_notice']);
            $bookings_page = new BookingsPage($this->bookings());
            add_action('admin_menu', [$bookings_page, 'menu']);
            add_action('wp_dashboard_setup', [$bookings_page, 'dashboard_setup']);
        }
        add_filter('site_status_tests', [SiteHealth::class, 'register']);
        if (defined('WP_CLI') && WP_CLI && class_exists(Cli::class)) {
            \WP_CLI::add_command('redis-persona', new Cli($this));
        }
    }

    /**
     * Wraps a hook callback so that nothing it throws escapes into WordPress
     * (a post save, a theme switch, a page view): the error is reported
     * through `redis_persona_error`, and a filter returns its input unchanged.
     */
    private function safely(callable $callback): \Closure
    {
        return function (...$args) use ($callback) {
            try {
                return $callback(...$args);
            } catch (\Throwable $e) {
                $this->backend()->report($e);
                return $args[0] ?? null;
            }
        };
    }

    public function init(): void
    {
        load_plugin_textdomain('redis-persona', false, dirname(plugin_basename(REDIS_PERSONA_FILE)) . '/languages');
        add_shortcode('persona', [$this->persona(), 'shortcode']);
        add_shortcode('persona_switcher', [$this->persona(), 'switcher_shortcode']);
        add_shortcode('redis_persona_booking', [self::class, 'booking_shortcode']);
        $this->persona()->handle_switch();
        if (!wp_next_scheduled(self::PURGE_HOOK)) {
            wp_schedule_event(time() + HOUR_IN_SECONDS, 'hourly', self::PURGE_HOOK);
        }
    }

    /** Front-end requests: the page tier's part inside WordPress. */
    private function page_front_end(): void
    {
        if (is_admin() || wp_doing_cron() || wp_doing_ajax() || (defined('REST_REQUEST') && REST_REQUEST)) {
            return;
        }
        if (class_exists(PageServer::class, false) || PageSettings::outage_raised()) {
            $this->page()->front_end();
        }
    }

    public function register_routes(): void
    {
        // Each controller gets only what it uses: the backend (errors), the
        // rate limits, and its feature.
        $backend = $this->backend();
        $limits = $this->booking();
        $controllers = [
            new RestHealthController($backend, $limits, new Health($this->config, $backend)),
            new RestStatsController($backend),
            new RestCacheController($backend, $this->invalidation(), $this->preload(), $this->page_preload()),
            new RestSlotsController($backend, $limits),
            new RestAvailabilityController($backend, $limits),
            new RestOtpController($backend, $limits),
            new RestBookingsController($backend, $limits, $this->bookings()),
        ];
        foreach ($controllers as $controller) {
            $controller->register_routes();
        }
    }

    /**
     * `[redis_persona_booking resource="room-1" times="09:00,10:00"]`: the
     * booking widget's markup. It holds no nonce or user data, so it can be
     * cached with the page; booking.js does the rest over the public routes.
     *
     * @param array<string, string>|string $atts
     */
    public static function booking_shortcode($atts): string
    {
        $atts = shortcode_atts([
            'resource' => 'default',
            'times' => '09:00,10:00,11:00,12:00,14:00,15:00,16:00,17:00',
        ], is_array($atts) ? $atts : [], 'redis_persona_booking');
        $resource = Booking::valid_resource($atts['resource']) ? $atts['resource'] : 'default';
        $times = array_values(array_filter(
            array_map('trim', explode(',', $atts['times'])),
            [Booking::class, 'valid_time']
        ));
        return sprintf(
            '<div class="rp-booking" data-resource="%s" data-times="%s"><noscript>%s</noscript></div>',
            esc_attr($resource),
            esc_attr(implode(',', $times)),
            esc_html__('Booking needs JavaScript.', 'redis-persona')
        );
    }

    /** Loads the booking widget's script where the shortcode is used (also on cache hits). */
    public function enqueue_booking(): void
    {
        $post = get_queried_object();
        if (!is_singular() || !$post instanceof \WP_Post || !has_shortcode($post->post_content, 'redis_persona_booking')) {
            return;
        }
        $base = plugins_url('assets/', REDIS_PERSONA_FILE);
        wp_enqueue_style('redis-persona-booking', $base . 'booking.css', [], REDIS_PERSONA_VERSION);
        wp_enqueue_script('redis-persona-booking', $base . 'booking.js', ['heartbeat'], REDIS_PERSONA_VERSION, true);
        wp_localize_script('redis-persona-booking', 'redisPersonaBooking', BookingWidget::config());
    }

    /**
     * Everything the dashboard, REST and Site Health report (Health).
     *
     * @return array<string, mixed>
     */
    public function health(): array
    {
        return (new Health($this->config, $this->backend()))->report();
    }

    public static function activate(): void
    {
        delete_option(StateTable::VERSION_OPTION);
        StateTable::install();
        BookingTable::migrate();
        if (!wp_next_scheduled(self::PURGE_HOOK)) {
            wp_schedule_event(time() + HOUR_IN_SECONDS, 'hourly', self::PURGE_HOOK);
        }
        self::instance()->page()->install();
    }

    public static function deactivate(): void
    {
        wp_clear_scheduled_hook(self::PURGE_HOOK);
        wp_clear_scheduled_hook(Preload::HOOK);
        wp_clear_scheduled_hook(PagePreload::HOOK);
        DropIn::uninstall();
        PageSettings::remove();
    }
}
