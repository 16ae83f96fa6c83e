<?php

/**
 * The visitor's persona: the cookie (which GTM or the switcher sets),
 * validated against the configured list, else the default; then the
 * `redis_persona_current` filter, whose answer is validated too. Also the
 * `[persona is="a,b"]…[/persona]` / `[persona not="c"]…[/persona]` shortcode
 * and `?persona=slug` links that set the cookie.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Persona
{
    private Config $config;
    private ?string $current = null;
    /** @var list<string> personas forced while rendering a given variant */
    private array $forced = [];

    public function __construct(Config $config)
    {
        $this->config = $config;
    }

    public function current(): string
    {
        if ($this->forced !== []) {
            return $this->forced[count($this->forced) - 1];
        }
        if ($this->current !== null) {
            return $this->current;
        }
        $personas = $this->config->personas();
        $persona = $this->config->default_persona();
        $cookie = $_COOKIE[$this->config->cookie()] ?? null;
        if (is_string($cookie)) {
            $candidate = strtolower(trim(wp_unslash($cookie)));
            if (isset($personas[$candidate])) {
                $persona = $candidate;
            }
        }
        /**
         * Filters the visitor's persona. Values that are not a configured
         * persona slug are ignored.
         *
         * @param string $persona  The persona from the cookie, or the default.
         * @param array  $personas Configured personas, slug => label.
         */
        $filtered = apply_filters('redis_persona_current', $persona, $personas);
        if (is_string($filtered) && isset($personas[$filtered])) {
            $persona = $filtered;
        }
        return $this->current = $persona;
    }

    /**
     * Runs $render as if the visitor had $persona (preloading renders every
     * persona of a post in one request).
     *
     * @template T
     * @param callable(): T $render
     * @return T
     */
    public function with(string $persona, callable $render)
    {
        $this->forced[] = $persona;
        try {
            return $render();
        } finally {
            array_pop($this->forced);
        }
    }

    /** Forgets the resolved persona (tests and the switcher). */
    public function reset(): void
    {
        $this->current = null;
    }

    /**
     * `[persona is="family,solo"]…[/persona]` shows its content to those
     * personas; `not="business"` hides it from those.
     *
     * @param array<string, string>|string $atts
     */
    public function shortcode($atts, ?string $content = null): string
    {
        $atts = shortcode_atts(['is' => '', 'not' => ''], is_array($atts) ? $atts : [], 'persona');
        $current = $this->current();
        $is = self::slugs((string) $atts['is']);
        $not = self::slugs((string) $atts['not']);
        if (($is !== [] && !in_array($current, $is, true)) || in_array($current, $not, true)) {
            return '';
        }
        return do_shortcode((string) $content);
    }

    /** `[persona_switcher]`: links that set the persona cookie. */
    public function switcher_shortcode(): string
    {
        $current = $this->current();
        $links = [];
        foreach ($this->config->personas() as $slug => $label) {
            $links[] = sprintf(
                '<a href="%s" class="rp-persona%s"%s>%s</a>',
                esc_url(add_query_arg('persona', $slug)),
                $slug === $current ? ' rp-persona-current' : '',
                $slug === $current ? ' aria-current="true"' : '',
                esc_html($label)
            );
        }
        return '<nav class="rp-persona-switcher" aria-label="' . esc_attr__('Choose who you are', 'redis-persona') . '">'
            . implode(' · ', $links) . '</nav>';
    }

    /** `?persona=slug` on a front-end GET sets the cookie and redirects to the clean URL. */
    public function handle_switch(): void
    {
        if (is_admin() || !isset($_GET['persona']) || ($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'GET') {
            return;
        }
        $slug = is_string($_GET['persona']) ? strtolower(sanitize_key(wp_unslash($_GET['persona']))) : '';
        if (!isset($this->config->personas()[$slug])) {
            return;
        }
        setcookie($this->config->cookie(), $slug, [
            'expires' => time() + 180 * DAY_IN_SECONDS,
            'path' => COOKIEPATH !== '' ? COOKIEPATH : '/',
            'secure' => is_ssl(),
            'httponly' => false,
            'samesite' => 'Lax',
        ]);
        wp_safe_redirect(remove_query_arg('persona'));
        exit;
    }

    /** @return list<string> */
    private static function slugs(string $list): array
    {
        return array_values(array_filter(array_map('trim', explode(',', strtolower($list))), 'strlen'));
    }
}
