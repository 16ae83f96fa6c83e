<?php

/**
 * Tools → Site Health: one direct test that says whether content, locks and
 * codes are served by Redis or by the database fallback, and why.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class SiteHealth
{
    /**
     * @param array<string, mixed> $tests
     * @return array<string, mixed>
     */
    public static function register($tests): array
    {
        $tests = is_array($tests) ? $tests : [];
        $tests['direct']['redis_persona'] = [
            'label' => __('Redis Persona', 'redis-persona'),
            'test' => [self::class, 'run'],
        ];
        return $tests;
    }

    /**
     * WordPress's own page-cache test recognises a page served by the tier
     * (`X-Redis-Persona: <persona>; page-hit`).
     *
     * @param array<string, mixed> $headers
     * @return array<string, mixed>
     */
    public static function page_cache_headers($headers): array
    {
        $headers = is_array($headers) ? $headers : [];
        $headers['x-redis-persona'] = static fn ($value): bool => is_string($value) && str_contains($value, 'page-hit');
        return $headers;
    }

    /**
     * One line on a cluster or Sentinel: the nodes by role, and failovers seen.
     *
     * @param array<string, mixed> $health
     */
    private static function topology(array $health): string
    {
        $live = $health['redis']['topology'] ?? null;
        if (!is_array($live) || ($live['mode'] ?? 'single') === 'single') {
            return '';
        }
        $roles = ['master' => 0, 'replica' => 0, 'sentinel' => 0];
        foreach ((array) ($live['nodes'] ?? []) as $node) {
            if (is_array($node) && isset($roles[$node['role'] ?? ''])) {
                $roles[$node['role']]++;
            }
        }
        return '<p>' . esc_html(sprintf(
            /* translators: 1: Redis Cluster or Sentinel, 2: masters, 3: replicas, 4: sentinels, 5: failovers */
            __('%1$s: %2$d master(s), %3$d replica(s), %4$d sentinel(s); %5$d failover(s) seen by this PHP process.', 'redis-persona'),
            $live['mode'] === 'cluster' ? 'Redis Cluster' : 'Sentinel',
            $roles['master'],
            $roles['replica'],
            $roles['sentinel'],
            (int) ($live['failovers'] ?? 0)
        )) . '</p>';
    }

    /** @return array<string, mixed> */
    public static function run(): array
    {
        $health = Plugin::instance()->health();
        $ok = $health['mode'] === 'redis';
        $result = [
            'label' => $ok
                ? __('Persona content, booking locks and codes are served from Redis', 'redis-persona')
                : __('Redis Persona is running on its database fallback', 'redis-persona'),
            'status' => $ok ? 'good' : 'recommended',
            'badge' => ['label' => __('Performance', 'redis-persona'), 'color' => $ok ? 'blue' : 'orange'],
            'description' => '<p>' . esc_html($ok
                ? sprintf(
                    /* translators: %s: Redis version */
                    __('Connected to Redis %s.', 'redis-persona'),
                    (string) ($health['redis']['server_version'] ?? '?')
                )
                : sprintf(
                    /* translators: %s: the reason */
                    __('Everything keeps working with the same guarantees, but slower: %s.', 'redis-persona'),
                    (string) $health['reason']
                )) . '</p>' . self::topology($health),
            'actions' => sprintf(
                '<p><a href="%s">%s</a></p>',
                esc_url(admin_url('options-general.php?page=redis-persona')),
                esc_html__('Open Redis Persona status', 'redis-persona')
            ),
            'test' => 'redis_persona',
        ];
        return $result;
    }
}
