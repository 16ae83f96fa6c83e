<?php

/**
 * The dashboard's hit/miss chart: an inline SVG image (no JavaScript, no
 * external library), stacked bars per day with a legend and a text
 * alternative for screen readers.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class Chart
{
    private const WIDTH = 560;
    private const HEIGHT = 220;
    private const PAD_LEFT = 48;
    private const PAD_BOTTOM = 28;
    private const PAD_TOP = 24;

    /**
     * @param list<array{date: string, hits: int, misses: int}> $days oldest first
     */
    public static function hits_and_misses(array $days): string
    {
        $max = 1;
        foreach ($days as $day) {
            $max = max($max, (int) $day['hits'] + (int) $day['misses']);
        }
        $plot_h = self::HEIGHT - self::PAD_TOP - self::PAD_BOTTOM;
        $plot_w = self::WIDTH - self::PAD_LEFT - 8;
        $slot = count($days) > 0 ? $plot_w / count($days) : $plot_w;
        $bar = max(4, $slot * 0.6);
        $summary = [];
        $parts = [];
        // Horizontal grid with the scale.
        foreach ([0, 0.5, 1] as $f) {
            $y = self::PAD_TOP + $plot_h * (1 - $f);
            $parts[] = sprintf(
                '<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dcdcde"/>'
                . '<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#50575e">%s</text>',
                self::PAD_LEFT,
                $y,
                self::WIDTH - 8,
                $y,
                self::PAD_LEFT - 6,
                $y + 4,
                esc_html(number_format_i18n((int) round($max * $f)))
            );
        }
        foreach (array_values($days) as $i => $day) {
            $hits = (int) $day['hits'];
            $misses = (int) $day['misses'];
            $x = self::PAD_LEFT + $i * $slot + ($slot - $bar) / 2;
            $hit_h = $plot_h * $hits / $max;
            $miss_h = $plot_h * $misses / $max;
            $base = self::PAD_TOP + $plot_h;
            $label = sprintf(
                /* translators: 1: date, 2: hits, 3: misses */
                __('%1$s: %2$s hits, %3$s misses', 'redis-persona'),
                $day['date'],
                number_format_i18n($hits),
                number_format_i18n($misses)
            );
            $summary[] = $label;
            $parts[] = sprintf(
                '<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#00a32a"/>'
                . '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#dba617"/></g>',
                esc_html($label),
                $x,
                $base - $hit_h,
                $bar,
                $hit_h,
                $x,
                $base - $hit_h - $miss_h,
                $bar,
                $miss_h
            );
            $parts[] = sprintf(
                '<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#50575e">%s</text>',
                $x + $bar / 2,
                self::HEIGHT - 10,
                esc_html(substr((string) $day['date'], 5))
            );
        }
        $parts[] = sprintf(
            '<rect x="%1$d" y="6" width="10" height="10" fill="#00a32a"/><text x="%2$d" y="15" font-size="11">%3$s</text>'
            . '<rect x="%4$d" y="6" width="10" height="10" fill="#dba617"/><text x="%5$d" y="15" font-size="11">%6$s</text>',
            self::PAD_LEFT,
            self::PAD_LEFT + 14,
            esc_html__('Hits', 'redis-persona'),
            self::PAD_LEFT + 70,
            self::PAD_LEFT + 84,
            esc_html__('Misses', 'redis-persona')
        );
        $alt = $summary === [] ? __('No traffic recorded yet.', 'redis-persona') : implode('; ', $summary);
        return sprintf(
            '<svg class="rp-chart" xmlns="http://www.w3.org/2000/svg" width="%1$d" height="%2$d" viewBox="0 0 %1$d %2$d"'
            . ' role="img" aria-label="%3$s">%4$s</svg>',
            self::WIDTH,
            self::HEIGHT,
            esc_attr($alt),
            implode('', $parts)
        );
    }
}
