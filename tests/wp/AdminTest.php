<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

final class AdminTest extends SiteTestCase
{
    /** @return array<string, string> an administrator's login cookies */
    private static function login(): array
    {
        $cookies = Site::wp(<<<'PHP'
            $user = get_user_by('login', 'admin');
            $expiration = time() + 3600;
            echo LOGGED_IN_COOKIE, '=', wp_generate_auth_cookie($user->ID, $expiration, 'logged_in'), "\n";
            echo AUTH_COOKIE, '=', wp_generate_auth_cookie($user->ID, $expiration, 'auth'), "\n";
            PHP);
        $jar = [];
        foreach (explode("\n", trim($cookies)) as $line) {
            [$name, $value] = explode('=', $line, 2);
            $jar[$name] = $value;
        }
        return $jar;
    }

    public function testTheStatusTabShowsModeChartAndActions(): void
    {
        $page = Site::get('/wp-admin/options-general.php?page=redis-persona', ['cookies' => self::login()]);
        $this->assertSame(200, $page['status']);
        $this->assertStringContainsString(Site::mode() === 'redis' ? 'rp-ok' : 'rp-warn', $page['body']);
        $this->assertStringContainsString('id="rp-warm"', $page['body']);
        $this->assertStringContainsString('id="rp-flush"', $page['body']);
        if (Site::mode() === 'redis') {
            $this->assertMatchesRegularExpression('/<svg class="rp-chart"[^>]+role="img"[^>]+aria-label="[^"]*hits/', $page['body']);
            $this->assertSame(7, substr_count($page['body'], '<g><title>'), 'one bar per day');
        }
    }

    public function testTheStatusTabShowsTheTopologyTheExtensionSees(): void
    {
        $page = Site::get('/wp-admin/options-general.php?page=redis-persona', ['cookies' => self::login()]);
        $this->assertSame(200, $page['status']);
        $this->assertStringContainsString('id="rp-topology"', $page['body']);
        $cluster = Site::topology() === 'cluster';
        $this->assertMatchesRegularExpression(
            $cluster
                ? '#<strong id="rp-topology-mode">Redis Cluster</strong> — set by REDIS_PERSONA_CLUSTER#'
                : '#id="rp-topology-mode">One server<#',
            $page['body']
        );
        if (Site::mode() !== 'redis') {
            $this->assertStringNotContainsString('class="rp-node ', $page['body'], 'no extension, no nodes to show');
            return;
        }
        // Every node with its role, slots and breaker; the one that answered is marked.
        preg_match_all('#<tr class="rp-node rp-node-(\w+)">\s*<td>127\.0\.0\.1:(\d+)#', $page['body'], $nodes);
        if ($cluster) {
            $this->assertEqualsCanonicalizing(Site::master_ports(), array_map('intval', array_keys(array_filter(
                array_combine($nodes[2], $nodes[1]),
                static fn (string $role): bool => $role === 'master'
            ))), 'the three masters');
            $this->assertMatchesRegularExpression('#<td>\d+-\d+#', $page['body'], 'their slot ranges');
        } else {
            $this->assertSame([(string) Site::redis_port()], $nodes[2]);
        }
        if ($cluster) {
            // One server's health() names no answering node (answered_by is null there).
            $this->assertStringContainsString('(answered last)', $page['body']);
        }
        $this->assertMatchesRegularExpression(
            $cluster
                ? '#id="rp-topology-summary">Last answer from 127\.0\.0\.1:\d+\. Failovers seen: \d+#'
                : '#id="rp-topology-summary">(Last answer from 127\.0\.0\.1:\d+\. )?Failovers seen: 0#',
            $page['body']
        );
        $health = Site::rest('GET', 'redis-persona/v1/health', null, ['auth' => Site::admin()]);
        $this->assertSame($cluster ? 'cluster' : 'single', $health['json']['topology']['mode']);
        $this->assertSame($cluster ? 'cluster' : 'single', $health['json']['redis']['topology']['mode'] ?? null, $health['body']);
    }

    public function testThePasswordIsWriteOnlyAndConstantsAreReadOnly(): void
    {
        Site::wp(<<<'PHP'
            $settings = get_option('redis_persona_settings', []);
            $settings['password'] = 'correct-horse-battery';
            update_option('redis_persona_settings', $settings);
            PHP);
        try {
            $page = Site::get('/wp-admin/options-general.php?page=redis-persona&tab=settings', ['cookies' => self::login()]);
            $this->assertSame(200, $page['status']);
            $this->assertStringNotContainsString('correct-horse-battery', $page['body']);
            $this->assertMatchesRegularExpression('/id="rp-password"[^>]*value=""/', $page['body']);
            // The test site sets REDIS_PERSONA_URL, or on a cluster REDIS_PERSONA_CLUSTER, which fixes the URL too.
            $constant = Site::topology() === 'cluster' ? 'REDIS_PERSONA_CLUSTER' : 'REDIS_PERSONA_URL';
            $this->assertMatchesRegularExpression('/id="rp-url"[^>]*readonly/', $page['body'], "$constant is set in wp-config.php");
            $this->assertStringContainsString("Set by $constant in wp-config.php", $page['body']);
            $this->assertStringContainsString('name="_wpnonce"', $page['body']);
            $health = Site::rest('GET', 'redis-persona/v1/health', null, ['auth' => Site::admin()]);
            $this->assertStringNotContainsString('correct-horse-battery', $health['body']);
        } finally {
            Site::wp(<<<'PHP'
                $settings = get_option('redis_persona_settings', []);
                unset($settings['password']);
                update_option('redis_persona_settings', $settings);
                PHP);
        }
    }

    public function testSettingsArePersistedThroughTheFormWithItsNonce(): void
    {
        $cookies = self::login();
        $form = Site::get('/wp-admin/options-general.php?page=redis-persona&tab=settings', ['cookies' => $cookies]);
        $this->assertSame(1, preg_match('/name="_wpnonce" value="([^"]+)"/', $form['body'], $m));
        $post = static fn (string $nonce, string $personas) => Site::get('/wp-admin/options.php', [
            'method' => 'POST',
            'cookies' => $cookies,
            'headers' => ['Content-Type' => 'application/x-www-form-urlencoded'],
            'body' => http_build_query([
                'option_page' => 'redis_persona',
                'action' => 'update',
                '_wpnonce' => $nonce,
                '_wp_http_referer' => '/wp-admin/options-general.php?page=redis-persona&tab=settings',
                'redis_persona_settings' => [
                    'personas' => $personas,
                    'default_persona' => 'solo',
                    'cookie' => 'rp_persona',
                    'ttl' => '3600',
                ],
            ]),
        ]);
        $this->assertSame(403, $post('forged', "evil: Evil")['status'], 'a forged nonce is refused');
        $saved = $post($m[1], "family: Families\nsolo: Solo travellers\nbusiness: Business guests\nBAD SLUG: x");
        $this->assertSame(302, $saved['status'], $saved['body']);
        $stored = Site::wp("echo wp_json_encode(get_option('redis_persona_settings'));");
        $stored = json_decode($stored, true);
        $this->assertSame(['family' => 'Families', 'solo' => 'Solo travellers', 'business' => 'Business guests'], $stored['personas']);
        $this->assertSame(3600, $stored['ttl']);
    }

    public function testSiteHealthReportsTheMode(): void
    {
        $result = json_decode(Site::wp("echo wp_json_encode(RedisPersona\\WordPress\\SiteHealth::run());"), true);
        $this->assertSame(Site::mode() === 'redis' ? 'good' : 'recommended', $result['status']);
        $this->assertSame('redis_persona', $result['test']);
        if (Site::mode() === 'redis' && Site::topology() === 'cluster') {
            $this->assertStringContainsString('Redis Cluster: 3 master(s), 3 replica(s), 0 sentinel(s)', $result['description']);
        } else {
            $this->assertStringNotContainsString('master(s)', $result['description'], 'nothing to say about one server');
        }
        $tests = json_decode(
            Site::wp("echo wp_json_encode(array_keys(apply_filters('site_status_tests', ['direct' => [], 'async' => []])['direct']));"),
            true
        );
        $this->assertContains('redis_persona', $tests);
    }
}
