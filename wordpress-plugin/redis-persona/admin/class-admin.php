<?php

/**
 * Settings → Redis Persona: a Status tab (mode, memory, 7-day chart, popular
 * posts, recent invalidations, "warm all" with progress, "flush") and a
 * Settings tab (Settings API, nonces, capability behind
 * `redis_persona_capability`). Settings fixed by wp-config.php constants are
 * shown read-only; the password is write-only.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Admin
{
    private const PAGE = 'redis-persona';
    private Plugin $plugin;

    public function __construct(Plugin $plugin)
    {
        $this->plugin = $plugin;
    }

    public function menu(): void
    {
        add_options_page(
            __('Redis Persona', 'redis-persona'),
            __('Redis Persona', 'redis-persona'),
            Plugin::capability(),
            self::PAGE,
            [$this, 'render']
        );
    }

    /** @param array<string, string> $links */
    public function action_links(array $links): array
    {
        $links[] = sprintf(
            '<a href="%s">%s</a>',
            esc_url(admin_url('options-general.php?page=' . self::PAGE)),
            esc_html__('Settings', 'redis-persona')
        );
        return $links;
    }

    public function register_settings(): void
    {
        register_setting('redis_persona', Config::OPTION, [
            'type' => 'array',
            'sanitize_callback' => [$this, 'sanitize'],
            'default' => [],
        ]);
        add_filter('option_page_capability_redis_persona', [Plugin::class, 'capability']);
    }

    /**
     * @param mixed $input the submitted form
     * @return array<string, mixed> what is stored
     */
    public function sanitize($input): array
    {
        $input = is_array($input) ? wp_unslash($input) : [];
        $previous = get_option(Config::OPTION, []);
        $previous = is_array($previous) ? $previous : [];
        // The form's textarea has one persona per line; Config reads commas.
        $input['personas'] = str_replace(["\r\n", "\n"], ',', is_string($input['personas'] ?? null) ? $input['personas'] : '');
        $topology = $this->plugin->config()->topology();
        if ($topology['mode'] === 'cluster' && ($input['url'] ?? null) === implode(', ', Topology::display($topology)['seeds'])) {
            // The read-only field showed the seeds, not a URL: the stored URL stays.
            $input['url'] = is_string($previous['url'] ?? null) ? $previous['url'] : '';
        }
        $clean = Config::sanitize($input);
        $url = is_string($input['url'] ?? null) ? trim($input['url']) : '';
        if ($url !== '' && $clean['url'] === '') {
            add_settings_error(
                Config::OPTION,
                'url',
                __('The Redis URL must start with redis://, rediss:// or unix:///.', 'redis-persona')
            );
        }
        $personas = Config::parse_personas($input['personas']);
        if ($personas === []) {
            add_settings_error(
                Config::OPTION,
                'personas',
                __('Enter at least one persona as "slug: Label" (slug: a-z, 0-9, _ and -).', 'redis-persona')
            );
            $personas = $previous['personas'] ?? [];
        }
        $prefix = is_string($input['prefix'] ?? null) ? trim($input['prefix']) : '';
        if ($prefix !== '' && preg_match(Config::PREFIX_PATTERN, $prefix) !== 1) {
            add_settings_error(
                Config::OPTION,
                'prefix',
                __('The key prefix may hold 1 to 64 letters, digits, _ . and - (no ":"); the default is used instead.', 'redis-persona')
            );
        }
        // The password field is write-only: empty keeps the stored one. A
        // password typed into the URL moves to it, so the page never prints
        // it back ('***' is the page's own mask, not a password).
        [$url, $url_password] = Config::split_password($clean['url']);
        $password = $previous['password'] ?? '';
        if (!empty($input['clear_password'])) {
            $password = '';
        } elseif (is_string($input['password'] ?? null) && $input['password'] !== '') {
            $password = $input['password'];
        } elseif ($url_password !== '' && $url_password !== '***') {
            $password = $url_password;
        }
        $this->plugin->config()->reset();
        return [
            'url' => $url,
            'password' => $password,
            'prefix' => is_string($input['prefix'] ?? null) && trim($input['prefix']) !== '' ? $clean['prefix'] : '',
            'personas' => $personas,
            'default_persona' => $clean['default_persona'],
            'cookie' => $clean['cookie'],
            'ttl' => $clean['ttl'],
            'disabled' => $clean['disabled'],
            'page_cache' => !empty($input['page_cache']),
            'page_ttl' => $clean['page_ttl'],
        ];
    }

    public function enqueue(string $hook): void
    {
        if ($hook !== 'settings_page_' . self::PAGE) {
            return;
        }
        $base = plugins_url('assets/', REDIS_PERSONA_FILE);
        wp_enqueue_style('redis-persona-admin', $base . 'admin.css', [], REDIS_PERSONA_VERSION);
        wp_enqueue_script('redis-persona-admin', $base . 'admin.js', ['wp-api-fetch'], REDIS_PERSONA_VERSION, true);
        wp_localize_script('redis-persona-admin', 'redisPersonaAdmin', [
            'i18n' => [
                'confirmFlush' => __('Flush every cached variant? Locks and codes are kept.', 'redis-persona'),
                'flushed' => __('Cache flushed.', 'redis-persona'),
                'progress' => __('%1$d of %2$d posts warmed', 'redis-persona'),
                'pageProgress' => __('%1$d of %2$d pages warmed (every persona)', 'redis-persona'),
                'done' => __('Warming finished.', 'redis-persona'),
                'error' => __('Request failed: %s', 'redis-persona'),
            ],
        ]);
    }

    public function render(): void
    {
        if (!current_user_can(Plugin::capability())) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Redis Persona.', 'redis-persona'), 403);
        }
        $tab = isset($_GET['tab']) && $_GET['tab'] === 'settings' ? 'settings' : 'status';
        $tabs = [];
        foreach (['status' => __('Status', 'redis-persona'), 'settings' => __('Settings', 'redis-persona')] as $id => $label) {
            $tabs[$id] = [
                'label' => $label,
                'url' => add_query_arg(['page' => self::PAGE, 'tab' => $id], admin_url('options-general.php')),
            ];
        }
        $this->view('page', ['tabs' => $tabs, 'tab' => $tab]);
    }

    /** The Status tab's data; views/status.php lays it out. */
    private function render_status(): void
    {
        $health = $this->plugin->health();
        $redis = is_array($health['redis']) ? $health['redis'] : [];
        $backend = $this->plugin->backend();
        $this->view('status', [
            'health' => $health,
            'redis' => $redis,
            'memory' => is_array($redis['memory'] ?? null) ? $redis['memory'] : [],
            'stats' => $backend->run(fn (StatsStore $s) => $s->stats(7)),
            'popular' => $backend->run(fn (StatsStore $s) => $s->popular(10)),
            'recent' => $backend->run(fn (StatsStore $s) => $s->recent(10)),
            'page' => DropIn::status($this->plugin->config()),
        ]);
    }

    /** The Settings tab's data; views/settings.php lays it out. */
    private function render_settings(): void
    {
        $config = $this->plugin->config();
        $saved = get_option(Config::OPTION, []);
        $saved = is_array($saved) ? $saved : [];
        $lines = [];
        foreach ($config->personas() as $slug => $label) {
            $lines[] = $slug . ': ' . $label;
        }
        $this->view('settings', [
            'config' => $config,
            'option' => Config::OPTION,
            'url' => $config->topology()['mode'] === 'cluster'
                ? implode(', ', Topology::display($config->topology())['seeds'])
                : ($config->is_constant('url') ? $config->display_url() : Config::mask_url((string) ($saved['url'] ?? ''))),
            'prefix' => $config->is_constant('prefix') ? $config->prefix() : (string) ($saved['prefix'] ?? ''),
            'persona_lines' => implode("\n", $lines),
        ]);
    }

    /**
     * admin_notices: the cluster or Sentinel constants are malformed (the
     * fallback serves meanwhile), or the page tier is on in the settings but
     * cannot serve (another drop-in, WP_CACHE missing, an unwritable folder):
     * say why and exactly what to do. Dashboard, Plugins and this plugin's
     * page only.
     */
    public function page_notice(): void
    {
        $screen = function_exists('get_current_screen') ? get_current_screen() : null;
        $where = ['dashboard', 'plugins', 'settings_page_' . self::PAGE];
        if ($screen === null || !in_array($screen->id, $where, true) || !current_user_can(Plugin::capability())) {
            return;
        }
        $errors = $this->plugin->config()->topology()['errors'];
        if ($errors !== []) {
            $this->view('topology-notice', ['errors' => $errors]);
        }
        $status = DropIn::status($this->plugin->config());
        if ($status['state'] !== 'blocked') {
            return;
        }
        $this->view('page-notice', ['status' => $status]);
    }

    private function card(string $title, string $value, string $tone, string $detail): void
    {
        $this->view('card', ['title' => $title, 'value' => $value, 'tone' => $tone, 'detail' => $detail]);
    }

    /** One text setting's row (views/text-row.php), read-only when a constant fixes it. */
    private function text_row(string $setting, string $label, string $value, string $placeholder): void
    {
        $this->view('text-row', [
            'setting' => $setting,
            'label' => $label,
            'value' => $value,
            'placeholder' => $placeholder,
            'readonly' => $this->plugin->config()->is_constant($setting),
        ]);
    }

    /** "Set by REDIS_PERSONA_… in wp-config.php" under a setting a constant fixes. */
    private function constant_note(string $setting): void
    {
        $constant = $this->plugin->config()->constant_name($setting);
        if ($constant !== null) {
            $this->view('constant-note', ['constant' => $constant]);
        }
    }

    /**
     * Prints views/$template.php. Templates see $vars as variables and `$this`
     * (for the partials: card, text_row, constant_note, the tabs); every
     * value is escaped where it is printed.
     *
     * @param array<string, mixed> $vars
     */
    private function view(string $template, array $vars): void
    {
        extract($vars, EXTR_SKIP); // phpcs:ignore -- a template's variables.
        require __DIR__ . '/views/' . $template . '.php';
    }
}
