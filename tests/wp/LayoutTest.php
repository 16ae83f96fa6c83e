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
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', $versions[1]);
    }
}
