<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/** The plugin's layout: the autoloader finds every class, and the version has one source. */
final class LayoutTest extends SiteTestCase
{
    public function testTheAutoloaderFindsEveryClassInItsFeatureFolder(): void
    {
        $missing = json_decode(Site::wp(<<<'PHP'
            $missing = [];
            foreach (array_keys(RedisPersona\WordPress\CLASS_FOLDERS) as $name) {
                $class = 'RedisPersona\\WordPress\\' . $name;
                if (!class_exists($class) && !interface_exists($class)) {
                    $missing[] = $name;
                }
            }
            echo wp_json_encode($missing);
            PHP), true);
        $this->assertSame([], $missing);
    }

    public function testTheVersionConstantMatchesThePluginHeader(): void
    {
        $versions = json_decode(Site::wp(<<<'PHP'
            echo wp_json_encode([REDIS_PERSONA_VERSION, get_file_data(REDIS_PERSONA_FILE, ['Version' => 'Version'])['Version']]);
            PHP), true);
        $this->assertSame($versions[1], $versions[0], 'REDIS_PERSONA_VERSION must equal the header Version');
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+$/D', $versions[0]);
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', $versions[1]);
    }

    /**
     * Each feature's store interface has a Redis adapter and a database
     * adapter, and neither side names a class of the other (their shared
     * rules are in StoreRules).
     */
    public function testEveryStoreInterfaceHasTwoAdaptersThatDoNotReachIntoEachOther(): void
    {
        $features = ['Content', 'Relations', 'Stats', 'Slots', 'Codes', 'Limits', 'Values'];
        $implements = json_decode(Site::wp(sprintf(<<<'PHP'
            $out = [];
            foreach (%s as $feature) {
                foreach (['Redis', 'Database'] as $side) {
                    $out[$side . $feature] = array_values(array_map(
                        static fn (string $i): string => substr($i, strlen('RedisPersona\\WordPress\\')),
                        class_implements('RedisPersona\\WordPress\\' . $side . $feature)
                    ));
                }
            }
            echo wp_json_encode($out);
            PHP, var_export($features, true))), true);
        // Relations also implement InvalidationStore, which only Backend holds.
        $interfaces = [
            'Content' => ['ContentStore'], 'Relations' => ['RelationStore', 'InvalidationStore'], 'Stats' => ['StatsStore'],
            'Slots' => ['SlotStore'], 'Codes' => ['CodeStore'], 'Limits' => ['LimitStore'], 'Values' => ['ValueStore'],
        ];
        foreach ($interfaces as $feature => $expected) {
            foreach (['Redis', 'Database'] as $side) {
                $actual = $implements[$side . $feature];
                sort($actual);
                sort($expected);
                $this->assertSame($expected, $actual, $side . $feature);
            }
        }
        $store_methods = json_decode(Site::wp(
            "echo wp_json_encode(get_class_methods('RedisPersona\\WordPress\\Store'));"
        ), true);
        $hidden = array_values(array_intersect(['invalidate_post', 'invalidate_tag', 'flush'], $store_methods));
        $this->assertSame([], $hidden, 'the Store that Backend::run() hands out cannot invalidate behind its back');
        $storage = dirname(__DIR__, 2) . '/wordpress-plugin/redis-persona/storage/';
        $other_side = [
            'redis' => '/\b(Database\w+|FallbackStore|Plugin)::|new (Database\w+|FallbackStore|Plugin)\b/',
            'database' => '/\b(Redis\w+|RedisStore|Plugin)::|new (Redis\w+|Plugin)\b|RedisPersona\\\\(?!WordPress)/',
        ];
        foreach ($other_side as $side => $other) {
            foreach (glob($storage . 'class-' . $side . '-*.php') ?: [] as $file) {
                if (str_ends_with($file, '-store.php')) {
                    continue; // RedisStore / FallbackStore only assemble their own side
                }
                $this->assertDoesNotMatchRegularExpression($other, (string) file_get_contents($file), basename($file));
            }
        }
    }
}
