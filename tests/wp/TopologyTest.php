<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * One server, Redis Cluster or Sentinel from wp-config.php constants
 * (Topology), inside the real WordPress: the plugin's own constants, Redis
 * Object Cache's as it defines them, passwords, precedence, and malformed
 * values that become admin-visible errors and the database fallback, never
 * a fatal error or a guess.
 */
final class TopologyTest extends SiteTestCase
{
    private const NO_CREDENTIALS = "['', '']";

    /** @return mixed the JSON that $php echoes inside WordPress */
    private static function in_wordpress(string $php)
    {
        $out = Site::wp('use RedisPersona\WordPress\{Config, Topology, PageSettings}; ' . $php);
        $decoded = json_decode($out, true);
        if ($decoded === null) {
            throw new \RuntimeException("the snippet printed no JSON: $out");
        }
        return $decoded;
    }

    /**
     * Topology::resolve() and client_arguments() for constants given as a PHP array literal.
     *
     * @return array{0: array<string, mixed>, 1: array{0: ?string, 1: array<string, mixed>}}
     */
    private static function resolve(
        string $constants,
        string $credentials = self::NO_CREDENTIALS,
        string $url = 'redis://10.0.0.9:6379/2'
    ): array {
        return self::in_wordpress(sprintf(
            '$t = Topology::resolve(%s, %s); echo wp_json_encode([$t, Topology::client_arguments($t, %s, "rp.x")]);',
            $constants,
            $credentials,
            var_export($url, true)
        ));
    }

    public function testTheClusterConstantTakesAListOrACommaSeparatedStringAndTheClientGetsNoUrl(): void
    {
        [$list, [$url, $options]] = self::resolve(
            "['REDIS_PERSONA_CLUSTER' => ['redis://10.0.0.1:7000', 'rediss://app:s3cret@node-2.example:7001/0']]"
        );
        $this->assertSame('cluster', $list['mode']);
        $this->assertSame([], $list['errors']);
        $this->assertSame(['redis://10.0.0.1:7000', 'rediss://app:s3cret@node-2.example:7001'], $list['seeds'], 'database 0 is implied');
        $this->assertNull($url, 'a cluster is reached through its seeds');
        $this->assertSame(['prefix' => 'rp.x', 'cluster' => $list['seeds']], $options);

        [$text] = self::resolve("['REDIS_PERSONA_CLUSTER' => ' redis://10.0.0.1:7000, redis://10.0.0.2:7000 ,']");
        $this->assertSame(['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'], $text['seeds']);
        $this->assertSame([], $text['errors']);
    }

    public function testTheDataNodesPasswordGoesIntoSeedsWithoutOneButNeverIntoSentinels(): void
    {
        [$cluster] = self::resolve(
            "['REDIS_PERSONA_CLUSTER' => ['redis://10.0.0.1:7000', 'redis://own:pw@10.0.0.2:7000', 'redis://bob@10.0.0.3:7000']]",
            "['app', 'p@ss:word']"
        );
        $this->assertSame([
            'redis://app:p%40ss%3Aword@10.0.0.1:7000',
            'redis://own:pw@10.0.0.2:7000',
            'redis://bob:p%40ss%3Aword@10.0.0.3:7000',
        ], $cluster['seeds']);

        [$sentinel, [$url, $options]] = self::resolve(
            "['REDIS_PERSONA_SENTINEL' => ['redis://10.0.0.5:26379', 'redis://s:spw@10.0.0.6:26379'],"
            . " 'REDIS_PERSONA_SERVICE' => 'mymaster',"
            . " 'REDIS_PERSONA_READ_FROM_REPLICAS' => true]",
            "['', 'data-pw']",
            'rediss://:data-pw@ignored:6379/3'
        );
        $this->assertSame('sentinel', $sentinel['mode']);
        $this->assertSame(
            ['redis://10.0.0.5:26379', 'redis://s:spw@10.0.0.6:26379'],
            $sentinel['sentinels'],
            'the sentinels\' own auth only'
        );
        $this->assertSame('rediss://:data-pw@ignored:6379/3', $url, 'the URL is the data nodes\' template (scheme, password, database)');
        $this->assertSame([
            'prefix' => 'rp.x',
            'sentinel' => $sentinel['sentinels'],
            'service' => 'mymaster',
            'read_from_replicas' => true,
        ], $options);
    }

    public function testRedisObjectCacheConstantsAreReadAsItDefinesThem(): void
    {
        [$cluster, [$url, $options]] = self::resolve(
            "['WP_REDIS_CLUSTER' => ['tcp://127.0.0.1:7000?alias=node-01', 'tls://127.0.0.2:7001', 'tcp://127.0.0.3']]",
            "['acl-user', 'acl-pw']"
        );
        $this->assertSame('cluster', $cluster['mode']);
        $this->assertSame('WP_REDIS_CLUSTER', $cluster['source']);
        $this->assertSame([
            'redis://acl-user:acl-pw@127.0.0.1:7000',
            'rediss://acl-user:acl-pw@127.0.0.2:7001',
            'redis://acl-user:acl-pw@127.0.0.3:6379',
        ], $options['cluster']);
        $this->assertNull($url);

        [$sentinel] = self::resolve(
            "['WP_REDIS_SENTINEL' => 'my-sentinel', 'WP_REDIS_SERVERS' => ['tcp://127.0.0.1:5380', 'tcp://127.0.0.2:5381']]"
        );
        $this->assertSame('sentinel', $sentinel['mode']);
        $this->assertSame('my-sentinel', $sentinel['service']);
        $this->assertSame(['redis://127.0.0.1:5380', 'redis://127.0.0.2:5381'], $sentinel['sentinels']);
        $this->assertFalse($sentinel['read_from_replicas'], 'off by default');
    }

    public function testThePluginsOwnConstantsWinOverRedisObjectCaches(): void
    {
        $roc = "'WP_REDIS_CLUSTER' => ['tcp://127.0.0.9:7000'], 'WP_REDIS_SENTINEL' => 'roc',"
            . " 'WP_REDIS_SERVERS' => ['tcp://127.0.0.9:5380']";
        [$own_cluster] = self::resolve("['REDIS_PERSONA_CLUSTER' => 'redis://10.0.0.1:7000', $roc]");
        $this->assertSame(['redis://10.0.0.1:7000'], $own_cluster['seeds']);
        [$own_url, [$url, $options]] = self::resolve("['REDIS_PERSONA_URL' => 'redis://10.0.0.9:6379/2', $roc]");
        $this->assertSame('single', $own_url['mode'], 'REDIS_PERSONA_URL names one server: the other plugin\'s cluster is not ours');
        $this->assertSame(['redis://10.0.0.9:6379/2', ['prefix' => 'rp.x']], [$url, $options]);
        [$own_service] = self::resolve("['REDIS_PERSONA_SERVICE' => 'ours', $roc]");
        $this->assertSame(
            ['sentinel', 'ours', ['redis://127.0.0.9:5380']],
            [$own_service['mode'], $own_service['service'], $own_service['sentinels']]
        );
        [$none] = self::resolve('[]');
        $this->assertSame(['single', []], [$none['mode'], $none['errors']]);
    }

    public function testMalformedValuesAreErrorsThatNameTheConstantAndMaskPasswords(): void
    {
        $cases = [
            "['REDIS_PERSONA_CLUSTER' => 'http://10.0.0.1:7000']" => 'REDIS_PERSONA_CLUSTER: "http://10.0.0.1:7000" is not a node URL',
            "['REDIS_PERSONA_CLUSTER' => ['redis://:hunter2@10.0.0.1:99999']]" => 'REDIS_PERSONA_CLUSTER: "redis://:***@10.0.0.1:99999"',
            "['REDIS_PERSONA_CLUSTER' => ['tcp://10.0.0.1:7000']]" => 'REDIS_PERSONA_CLUSTER: "tcp://10.0.0.1:7000" is not a node URL',
            "['REDIS_PERSONA_CLUSTER' => ['redis://10.0.0.1:7000/3']]" => 'is not a node URL',
            "['REDIS_PERSONA_CLUSTER' => 42]" => 'REDIS_PERSONA_CLUSTER must be a list of URLs',
            "['REDIS_PERSONA_CLUSTER' => [[]]]" => 'REDIS_PERSONA_CLUSTER: "array" is not a node URL',
            "['REDIS_PERSONA_CLUSTER' => ',']" => 'REDIS_PERSONA_CLUSTER lists no node',
            "['WP_REDIS_CLUSTER' => 'my-cluster']" => 'WP_REDIS_CLUSTER: "my-cluster" is not a node URL',
            "['WP_REDIS_CLUSTER' => ['tcp://h:1?timeout=2']]" => 'WP_REDIS_CLUSTER',
            "['REDIS_PERSONA_SENTINEL' => ['redis://10.0.0.5:26379']]" => 'define REDIS_PERSONA_SERVICE',
            "['REDIS_PERSONA_SENTINEL' => ['redis://h:1'], 'REDIS_PERSONA_SERVICE' => 'my master']" => 'REDIS_PERSONA_SERVICE must be',
            "['REDIS_PERSONA_SERVICE' => 'mymaster']" => 'REDIS_PERSONA_SERVICE needs REDIS_PERSONA_SENTINEL',
            "['WP_REDIS_SENTINEL' => 'mymaster']" => 'WP_REDIS_SENTINEL needs WP_REDIS_SERVERS',
            "['WP_REDIS_SENTINEL' => ['x'], 'WP_REDIS_SERVERS' => ['tcp://h:1']]" => 'WP_REDIS_SENTINEL must be',
            "['REDIS_PERSONA_CLUSTER' => 'redis://h:1', 'REDIS_PERSONA_SENTINEL' => 'redis://h:2']" => 'both defined',
            "['REDIS_PERSONA_CLUSTER' => 'redis://h:1', 'REDIS_PERSONA_URL' => 'redis://h:2']" => 'both defined',
        ];
        $snippet = 'echo wp_json_encode(array_map(fn ($c) => Topology::resolve($c, ["", ""])["errors"], ['
            . implode(', ', array_keys($cases)) . ']));';
        $errors = self::in_wordpress($snippet);
        foreach (array_values($cases) as $i => $expected) {
            $this->assertNotSame([], $errors[$i], array_keys($cases)[$i]);
            $this->assertStringContainsString($expected, implode(' ', $errors[$i]), array_keys($cases)[$i]);
            $this->assertStringNotContainsString('hunter2', implode(' ', $errors[$i]));
        }
    }

    public function testMalformedConstantsMeanTheFallbackWithTheReasonAndNoPageTier(): void
    {
        $seen = self::in_wordpress(<<<'PHP'
            use RedisPersona\WordPress\{Backend, Health, PageTier, Plugin, StateTable};
            // The fallback this causes is put back as it was: other tests share the site.
            $outage = get_option(Backend::OUTAGE_OPTION);
            $flag = PageSettings::outage_raised();
            define('REDIS_PERSONA_SENTINEL', 'sentinel.example:26379');
            $config = new Config();
            $backend = new Backend($config, new StateTable());
            Plugin::instance()->config()->reset();
            $thrown = null;
            try {
                $config->client_arguments();
            } catch (\InvalidArgumentException $e) {
                $thrown = $e->getMessage();
            }
            $seen = [
                'client' => $backend->client() === null,
                'mode' => $backend->mode(),
                'reason' => $backend->reason(),
                'thrown' => $thrown,
                'topology' => (new Health($config, $backend))->report()['topology'],
                'page_enabled' => (new PageTier(Plugin::instance()))->settings()['enabled'],
            ];
            $outage === false ? delete_option(Backend::OUTAGE_OPTION) : update_option(Backend::OUTAGE_OPTION, $outage, true);
            if (!$flag) {
                PageSettings::clear_outage();
            }
            echo wp_json_encode($seen);
            PHP);
        $this->assertSame('fallback', $seen['mode']);
        $this->assertTrue($seen['client']);
        if (Site::mode() === 'redis') {
            // On one server the URL is malformed; on the cluster run REDIS_PERSONA_CLUSTER is defined too.
            $this->assertMatchesRegularExpression(
                '/^Invalid Redis settings: .*REDIS_PERSONA_SENTINEL(: "sentinel.example:26379" is not a node URL| are both defined)/',
                $seen['reason']
            );
        }
        $this->assertStringContainsString('REDIS_PERSONA_SENTINEL', (string) $seen['thrown']);
        $this->assertSame(Site::topology() === 'cluster' ? 'cluster' : 'sentinel', $seen['topology']['mode']);
        $this->assertNotSame([], $seen['topology']['errors']);
        $this->assertFalse($seen['page_enabled'], 'the drop-in never guesses which Redis to serve from');
    }

    public function testThePluginServesFromTheMasterSentinelNames(): void
    {
        if (Site::mode() !== 'redis' || Site::topology() !== 'single') {
            $this->markTestSkipped('once, in the extension run on one server (the cluster run defines REDIS_PERSONA_CLUSTER)');
        }
        $dir = Site::dir() . '/sentinel';
        $script = dirname(__DIR__, 2) . '/scripts/redis-sentinel.sh';
        exec(sprintf('%s start %s 2>&1', $script, escapeshellarg($dir)), $out, $status);
        try {
            $this->assertSame(0, $status, implode("\n", $out));
            [$master, , , $s1, $s2, $s3] = array_map('intval', explode(' ', trim((string) end($out))));
            $sentinels = array_map(static fn (int $port): string => "redis://127.0.0.1:$port", [$s1, $s2, $s3]);
            $seen = self::in_wordpress(sprintf(<<<'PHP'
                use RedisPersona\WordPress\{Backend, StateTable};
                define('REDIS_PERSONA_SENTINEL', %s);
                define('REDIS_PERSONA_SERVICE', 'rp-master');
                $config = new Config();
                $backend = new Backend($config, new StateTable());
                $limiter = new RedisPersona\RateLimiter($backend->client(), 'sentinel-test', 5, 60);
                $limiter->attempt('k');
                $remaining = $limiter->attempt('k')['remaining'];
                echo wp_json_encode([
                    'mode' => $backend->mode(),
                    'remaining' => $remaining,
                    'topology' => $backend->client()->health()['topology'] ?? null,
                ]);
                PHP, var_export($sentinels, true)));
            $this->assertSame('redis', $seen['mode']);
            $this->assertSame(3, $seen['remaining']);
            $this->assertSame('sentinel', $seen['topology']['mode'] ?? null);
            $this->assertSame('rp-master', $seen['topology']['service']);
            // REDIS_PERSONA_URL names the site's own server: with Sentinel only its scheme and credentials count.
            $this->assertSame("127.0.0.1:$master", $seen['topology']['answered_by']);
            exec(sprintf('redis-cli -p %d --scan --pattern %s', $master, escapeshellarg('*sentinel-test*')), $keys);
            $this->assertNotEmpty($keys, 'the limiter\'s key is on the master Sentinel named');
        } finally {
            exec(sprintf('%s stop %s 2>&1', $script, escapeshellarg($dir)));
        }
    }

    public function testTheSettingsFileFingerprintCoversEveryTopologyConstant(): void
    {
        [$missing, $before, $after] = self::in_wordpress(<<<'PHP'
            $before = PageSettings::fingerprint();
            define('WP_REDIS_SERVERS', ['tcp://127.0.0.1:5380']);
            $missing = array_values(array_diff(Topology::CONSTANTS, PageSettings::CONSTANTS));
            echo wp_json_encode([$missing, $before, PageSettings::fingerprint()]);
            PHP);
        $this->assertSame([], $missing, 'the drop-in must notice an edited topology');
        $this->assertNotSame($before, $after);
    }

    public function testAnAclPairInWpRedisPasswordGoesIntoTheSingleServersUrlToo(): void
    {
        $url = self::in_wordpress(<<<'PHP'
            define('WP_REDIS_PASSWORD', ['acl-user', 'p@ss']);
            // Without a password saved on the settings page (which would win); put back after.
            $original = get_option(Config::OPTION);
            $saved = is_array($original) ? $original : [];
            unset($saved['password']);
            update_option(Config::OPTION, $saved);
            $url = (new Config())->url();
            $original === false ? delete_option(Config::OPTION) : update_option(Config::OPTION, $original);
            echo wp_json_encode($url);
            PHP);
        $this->assertMatchesRegularExpression('#^redis://acl-user:p%40ss@127\.0\.0\.1:\d+$#', $url);
    }

    public function testPasswordsInTheTopologyAreMaskedInTheHealthReport(): void
    {
        $topology = self::in_wordpress(<<<'PHP'
            $t = Topology::resolve(['REDIS_PERSONA_CLUSTER' => ['redis://app:hunter2@10.0.0.1:7000']], ['', '']);
            echo wp_json_encode(Topology::display($t));
            PHP);
        $this->assertSame(['redis://app:***@10.0.0.1:7000'], $topology['seeds']);
    }
}
