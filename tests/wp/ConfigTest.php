<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

/**
 * Settings logic inside the real WordPress (no web server in between):
 * namespaces that never overlap, passwords that are never shown.
 */
final class ConfigTest extends SiteTestCase
{
    /** @return mixed the JSON that $php echoes inside WordPress */
    private static function in_wordpress(string $php)
    {
        return json_decode(Site::wp('use RedisPersona\WordPress\Config; ' . $php), true);
    }

    public function testAPrefixCannotContainTheSeparator(): void
    {
        $result = self::in_wordpress(<<<'PHP'
            echo wp_json_encode([
                Config::sanitize(['prefix' => 'shop'])['prefix'],
                Config::sanitize(['prefix' => 'shop:eu'])['prefix'],
                Config::sanitize(['prefix' => 'shop*'])['prefix'],
                Config::default_prefix(),
            ]);
            PHP);
        $this->assertSame('shop', $result[0]);
        $this->assertSame($result[3], $result[1], '"shop:eu" would live inside "shop"');
        $this->assertSame($result[3], $result[2]);
        $this->assertMatchesRegularExpression('/^rp\.[0-9a-f]{10}\.1$/', $result[3]);
    }

    public function testTheDefaultPrefixDiffersBetweenInstallsSharingADatabaseName(): void
    {
        $prefixes = self::in_wordpress(<<<'PHP'
            $here = Config::default_prefix();
            add_filter('option_siteurl', static fn () => 'https://staging.example.test');
            echo wp_json_encode([$here, Config::default_prefix()]);
            PHP);
        $this->assertNotSame($prefixes[0], $prefixes[1]);
    }

    public function testPasswordsAreMaskedWhereverAUrlIsShown(): void
    {
        $masked = self::in_wordpress(<<<'PHP'
            echo wp_json_encode([
                Config::mask_url('redis://:hunter2@127.0.0.1:6379/0'),
                Config::mask_url('redis://user:hunter2@127.0.0.1:6379'),
                Config::mask_url('unix:///run/redis.sock?db=2&password=hunter2'),
                Config::mask_url('unix:///run/redis.sock?pass=hunter2&db=2'),
                Config::mask_url('redis://user:hun@ter/2@127.0.0.1:6379/0'),
            ]);
            PHP);
        $this->assertSame([
            'redis://:***@127.0.0.1:6379/0',
            'redis://user:***@127.0.0.1:6379',
            'unix:///run/redis.sock?db=2&password=***',
            'unix:///run/redis.sock?pass=***&db=2',
            'redis://user:***@127.0.0.1:6379/0',
        ], $masked);
    }

    public function testAPasswordTypedIntoTheUrlIsStoredWriteOnly(): void
    {
        $saved = self::in_wordpress(<<<'PHP'
            require_once ABSPATH . 'wp-admin/includes/template.php';
            $admin = new RedisPersona\WordPress\Admin(RedisPersona\WordPress\Plugin::instance());
            $previous = get_option(Config::OPTION);
            $typed = $admin->sanitize(['url' => 'redis://:hunter2@127.0.0.1:6379/0', 'personas' => 'family']);
            update_option(Config::OPTION, ['password' => 'kept'] + (array) $previous);
            $masked = $admin->sanitize(['url' => 'redis://:***@127.0.0.1:6379/0', 'personas' => 'family']);
            $user = $admin->sanitize(['url' => 'redis://app:s3@cret@127.0.0.1:6379/0', 'personas' => 'family']);
            update_option(Config::OPTION, $previous);
            echo wp_json_encode([$typed['url'], $typed['password'], $masked['url'], $masked['password'], $user['url'], $user['password']]);
            PHP);
        $this->assertSame([
            'redis://127.0.0.1:6379/0', 'hunter2',
            'redis://127.0.0.1:6379/0', 'kept',
            'redis://app@127.0.0.1:6379/0', 's3@cret',
        ], $saved);
    }
}
