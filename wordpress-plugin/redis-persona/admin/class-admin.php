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
        echo '<div class="wrap rp-admin"><h1>' . esc_html__('Redis Persona', 'redis-persona') . '</h1>';
        echo '<nav class="nav-tab-wrapper">';
        foreach (['status' => __('Status', 'redis-persona'), 'settings' => __('Settings', 'redis-persona')] as $id => $label) {
            printf(
                '<a href="%s" class="nav-tab%s">%s</a>',
                esc_url(add_query_arg(['page' => self::PAGE, 'tab' => $id], admin_url('options-general.php'))),
                $tab === $id ? ' nav-tab-active' : '',
                esc_html($label)
            );
        }
        echo '</nav>';
        $tab === 'settings' ? $this->render_settings() : $this->render_status();
        echo '</div>';
    }

    private function render_status(): void
    {
        $health = $this->plugin->health();
        $redis = is_array($health['redis']) ? $health['redis'] : [];
        $backend = $this->plugin->backend();
        $stats = $backend->run(fn (Store $s) => $s->stats(7));
        $popular = $backend->run(fn (Store $s) => $s->popular(10));
        $recent = $backend->run(fn (Store $s) => $s->recent(10));
        $memory = is_array($redis['memory'] ?? null) ? $redis['memory'] : [];

        echo '<div class="rp-cards">';
        $this->card(__('Mode', 'redis-persona'), $health['mode'] === 'redis'
            ? __('Redis', 'redis-persona')
            : __('Database fallback', 'redis-persona'), $health['mode'] === 'redis' ? 'ok' : 'warn', (string) $health['reason']);
        $server = isset($redis['server_version']) ? 'Redis ' . $redis['server_version'] : '—';
        $this->card(__('Server', 'redis-persona'), $server, 'plain', (string) $health['url']);
        $latency = isset($redis['latency_ms']) ? sprintf('%.2f ms', $redis['latency_ms']) : '—';
        $this->card(__('Latency', 'redis-persona'), $latency, 'plain', '');
        $this->card(
            __('Memory', 'redis-persona'),
            isset($memory['used']) ? size_format((int) $memory['used'], 1) : '—',
            'plain',
            isset($memory['peak']) ? sprintf(
                /* translators: 1: peak memory, 2: memory limit */
                __('peak %1$s, limit %2$s', 'redis-persona'),
                size_format((int) $memory['peak'], 1),
                !empty($memory['max']) ? size_format((int) $memory['max'], 1) : __('none', 'redis-persona')
            ) : ''
        );
        echo '</div>';

        echo '<h2>' . esc_html__('Hits and misses, last 7 days', 'redis-persona') . '</h2>';
        if ($stats === []) {
            echo '<p>' . esc_html__('Statistics are kept in Redis; none while the fallback is in use.', 'redis-persona') . '</p>';
        } else {
            echo Chart::hits_and_misses($stats); // phpcs:ignore -- every value is escaped inside.
        }

        echo '<div class="rp-columns"><div><h2>' . esc_html__('Popular posts', 'redis-persona') . '</h2>';
        if ($popular === []) {
            echo '<p>' . esc_html__('No views recorded yet.', 'redis-persona') . '</p>';
        } else {
            echo '<ol>';
            foreach ($popular as $row) {
                printf(
                    '<li><a href="%s">%s</a> — %s</li>',
                    esc_url((string) get_permalink((int) $row['post_id'])),
                    esc_html(get_the_title((int) $row['post_id']) ?: '#' . (int) $row['post_id']),
                    /* translators: %s: number of views */
                    esc_html(sprintf(
                        _n('%s view', '%s views', (int) $row['views'], 'redis-persona'),
                        number_format_i18n((int) $row['views'])
                    ))
                );
            }
            echo '</ol>';
        }
        echo '</div><div><h2>' . esc_html__('Recent invalidations', 'redis-persona') . '</h2>';
        if ($recent === []) {
            echo '<p>' . esc_html__('None yet.', 'redis-persona') . '</p>';
        } else {
            echo '<table class="widefat striped"><thead><tr><th>' . esc_html__('When', 'redis-persona') . '</th><th>'
                . esc_html__('What', 'redis-persona') . '</th><th>' . esc_html__('Posts', 'redis-persona') . '</th><th>'
                . esc_html__('Variants', 'redis-persona') . '</th><th>' . esc_html__('Took', 'redis-persona') . '</th></tr></thead><tbody>';
            foreach ($recent as $row) {
                printf(
                    '<tr><td>%s</td><td>%s %s</td><td>%d</td><td>%d</td><td>%.2f ms</td></tr>',
                    esc_html(wp_date('Y-m-d H:i:s', (int) $row['at'])),
                    esc_html((string) $row['type']),
                    esc_html((string) $row['target']),
                    (int) $row['posts'],
                    (int) $row['variants'],
                    (float) $row['took_ms']
                );
            }
            echo '</tbody></table>';
        }
        echo '</div></div>';

        echo '<h2>' . esc_html__('Cache', 'redis-persona') . '</h2><p>';
        echo '<button type="button" class="button button-primary" id="rp-warm">' . esc_html__('Warm all', 'redis-persona') . '</button> ';
        echo '<button type="button" class="button" id="rp-flush">' . esc_html__('Flush', 'redis-persona') . '</button></p>';
        echo '<p><progress id="rp-warm-progress" max="1" value="0" hidden></progress> <span id="rp-message" role="status"></span></p>';
    }

    private function card(string $title, string $value, string $tone, string $detail): void
    {
        printf(
            '<div class="rp-card rp-%s"><h3>%s</h3><p class="rp-value">%s</p><p class="description">%s</p></div>',
            esc_attr($tone),
            esc_html($title),
            esc_html($value),
            esc_html($detail)
        );
    }

    private function render_settings(): void
    {
        $config = $this->plugin->config();
        $saved = get_option(Config::OPTION, []);
        $saved = is_array($saved) ? $saved : [];
        $name = Config::OPTION;
        echo '<form method="post" action="options.php">';
        settings_fields('redis_persona');
        echo '<table class="form-table" role="presentation">';
        $url = $config->is_constant('url') ? $config->display_url() : Config::mask_url((string) ($saved['url'] ?? ''));
        $this->text_row('url', __('Redis URL', 'redis-persona'), $url, Config::default_url());
        echo '<tr><th scope="row"><label for="rp-password">' . esc_html__('Password', 'redis-persona') . '</label></th><td>';
        printf(
            '<input type="password" id="rp-password" name="%s[password]" value="" autocomplete="new-password"'
            . ' class="regular-text" placeholder="%s"/>',
            esc_attr($name),
            esc_attr($config->has_password() ? __('(set; leave empty to keep)', 'redis-persona') : '')
        );
        printf(
            ' <label><input type="checkbox" name="%s[clear_password]" value="1"/> %s</label>',
            esc_attr($name),
            esc_html__('Clear', 'redis-persona')
        );
        echo '<p class="description">'
            . esc_html__('Never shown again once saved. WP_REDIS_PASSWORD is used when empty.', 'redis-persona')
            . '</p></td></tr>';
        $prefix = $config->is_constant('prefix') ? $config->prefix() : (string) ($saved['prefix'] ?? '');
        $this->text_row('prefix', __('Key prefix', 'redis-persona'), $prefix, Config::default_prefix());
        $this->text_row('ttl', __('Cache lifetime (seconds)', 'redis-persona'), (string) $config->ttl(), (string) Config::DEFAULT_TTL);
        $lines = [];
        foreach ($config->personas() as $slug => $label) {
            $lines[] = $slug . ': ' . $label;
        }
        echo '<tr><th scope="row"><label for="rp-personas">' . esc_html__('Personas', 'redis-persona') . '</label></th><td>';
        printf(
            '<textarea id="rp-personas" name="%s[personas]" rows="5" class="large-text code"%s>%s</textarea>',
            esc_attr($name),
            $config->is_constant('personas') ? ' readonly' : '',
            esc_textarea(implode("\n", $lines))
        );
        echo '<p class="description">'
            . esc_html__('One per line, "slug: Label". Use [persona is="slug"]…[/persona] in content.', 'redis-persona')
            . '</p>';
        $this->constant_note('personas');
        echo '</td></tr>';
        echo '<tr><th scope="row"><label for="rp-default">' . esc_html__('Default persona', 'redis-persona') . '</label></th><td>';
        printf(
            '<select id="rp-default" name="%s[default_persona]"%s>',
            esc_attr($name),
            $config->is_constant('default_persona') ? ' disabled' : ''
        );
        foreach ($config->personas() as $slug => $label) {
            printf(
                '<option value="%s"%s>%s</option>',
                esc_attr($slug),
                selected($slug, $config->default_persona(), false),
                esc_html($label)
            );
        }
        echo '</select>';
        $this->constant_note('default_persona');
        echo '</td></tr>';
        $this->text_row('cookie', __('Cookie name', 'redis-persona'), $config->cookie(), 'rp_persona');
        echo '<tr><th scope="row">' . esc_html__('Disable', 'redis-persona') . '</th><td>';
        printf(
            '<label><input type="checkbox" name="%s[disabled]" value="1"%s%s/> %s</label>',
            esc_attr($name),
            checked($config->disabled(), true, false),
            $config->is_constant('disabled') ? ' disabled' : '',
            esc_html__('Do not use Redis (the database fallback serves everything).', 'redis-persona')
        );
        $this->constant_note('disabled');
        echo '</td></tr></table>';
        submit_button();
        echo '</form>';
    }

    private function text_row(string $setting, string $label, string $value, string $placeholder): void
    {
        $readonly = $this->plugin->config()->is_constant($setting);
        printf(
            '<tr><th scope="row"><label for="rp-%1$s">%2$s</label></th><td>'
            . '<input type="text" id="rp-%1$s" name="%3$s[%1$s]" value="%4$s" placeholder="%5$s" class="regular-text"%6$s/>',
            esc_attr($setting),
            esc_html($label),
            esc_attr(Config::OPTION),
            esc_attr($value),
            esc_attr($placeholder),
            $readonly ? ' readonly' : ''
        );
        $this->constant_note($setting);
        echo '</td></tr>';
    }

    private function constant_note(string $setting): void
    {
        if ($this->plugin->config()->is_constant($setting)) {
            printf(
                '<p class="description">%s</p>',
                /* translators: %s: constant name */
                esc_html(sprintf(__('Set by %s in wp-config.php.', 'redis-persona'), Config::CONSTANTS[$setting]))
            );
        }
    }
}
