<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Tests\Support\RedisTestCase;

final class ClientTest extends RedisTestCase
{
    public function testIniRestoreRestoresEverySetting(): void
    {
        foreach (['url', 'prefix', 'connect_timeout_ms', 'read_timeout_ms', 'pool_size', 'retry_interval_ms', 'log_level'] as $name) {
            $setting = "redis_persona.$name";
            $original = ini_get($setting);
            $this->assertNotFalse(ini_set($setting, '7'), $setting);
            $this->assertSame('7', ini_get($setting));
            ini_restore($setting);
            $this->assertSame($original, ini_get($setting), "$setting is restored");
        }
    }

    public function testPingHealthAndPrefix(): void
    {
        $client = self::$redis->client(['prefix' => 'site1.b2']);
        $this->assertGreaterThan(0.0, $client->ping());
        $this->assertTrue($client->isAvailable());
        $this->assertSame('site1.b2', $client->prefix());

        $health = $client->health();
        $this->assertSame('ok', $health['status']);
        $this->assertSame(self::$redis->mode(), $health['mode']);
        $this->assertMatchesRegularExpression('/^\d+\.\d+/', $health['server_version']);
        $this->assertGreaterThan(0, $health['memory']['used']);
        $this->assertGreaterThanOrEqual($health['memory']['used'], $health['memory']['peak']);
        $this->assertSame(getmypid(), $health['pool']['pid']);
        $this->assertSame('closed', $health['breaker']['state']);
        $this->assertNull($health['error']);
        $this->assertIsFloat($health['latency_ms']);
    }

    public function testTwoHundredClientsOpenAtMostPoolSizeConnections(): void
    {
        // A fresh pool: its own settings, so earlier tests' connections do not count.
        $admin = self::$redis->admin();
        $before = (int) $admin->infoField('stats', 'total_connections_received');
        for ($i = 0; $i < 200; $i++) {
            $client = self::$redis->client(['pool_size' => 2], 1);
            $client->ping();
        }
        $after = (int) self::$redis->admin()->infoField('stats', 'total_connections_received');
        // The two admin connections of this test count too; on a cluster
        // both counts are summed over the masters (pool_size is per node).
        $this->assertLessThanOrEqual((2 + 2) * $admin->fanOut(), $after - $before);
        $this->assertLessThanOrEqual(2, $client->health()['pool']['connections_created']);
    }

    public function testIniSettingsAreTheDefaults(): void
    {
        $defaults = self::$redis->iniDefaults(2);
        foreach ($defaults as $name => $value) {
            ini_set($name, $value);
        }
        ini_set('redis_persona.prefix', 'from-ini');
        try {
            $client = new Client();
            $this->assertSame('from-ini', $client->prefix());
            $client->set('where', 'db2');
            $admin = self::$redis->admin(2);
            $this->assertSame('db2', $admin->command('GET', 'from-ini:kv:where'));
            // Options win over INI; '' and null mean "the INI default".
            $this->assertSame('opt', (new Client('', ['prefix' => 'opt']))->prefix());
            $this->assertSame('from-ini', (new Client(null, ['prefix' => '']))->prefix());
        } finally {
            foreach (array_keys($defaults) as $name) {
                ini_restore($name);
            }
            ini_restore('redis_persona.prefix');
        }
    }

    public function testValuesAreBinarySafe(): void
    {
        $client = self::$redis->client();
        $this->assertTrue($client->set('bin', "a\0b\xff"));
        $this->assertSame("a\0b\xff", $client->get('bin'));
        $big = random_bytes(1 << 20);
        $client->set('big', $big, 60);
        $this->assertSame($big, $client->get('big'));
        $this->assertNull($client->get('never-set'));
        $this->assertTrue($client->delete('bin'));
        $this->assertFalse($client->delete('bin'));
        $this->assertNull($client->get('bin'));
    }

    public function testEveryKeyLivesUnderThePrefixWithATtl(): void
    {
        $admin = self::$redis->admin(5);
        $admin->command('FLUSHDB');
        $client = self::$redis->client(['prefix' => 'ns'], 5);
        foreach (['a', 'post:1/x', '123', 'A-b_c.d'] as $key) {
            $client->set($key, 'v', 100);
        }
        [$cursor, $keys] = $admin->command('SCAN', '0', 'COUNT', '1000');
        $this->assertSame('0', $cursor);
        $this->assertCount(4, $keys);
        foreach ($keys as $key) {
            $this->assertStringStartsWith('ns:kv:', $key);
            $ttl = $admin->command('TTL', $key);
            $this->assertGreaterThan(0, $ttl);
            $this->assertLessThanOrEqual(100, $ttl);
        }
    }

    public function testPurgeDeletesExactlyThePrefixsKeys(): void
    {
        $admin = self::$redis->admin(6);
        $admin->command('FLUSHDB');
        $site = self::$redis->client(['prefix' => 'site.1'], 6);
        $other = self::$redis->client(['prefix' => 'site.10'], 6);
        for ($i = 0; $i < 2500; $i++) {
            $site->set("k$i", 'v', 100);
        }
        (new \RedisPersona\SlotLock($site))->acquire('2030-01-01', '10:00', 'room', 'me');
        $other->set('keep', 'v', 100);
        $admin->command('SET', 'unprefixed', 'v');
        // DBSIZE also counts keys that expired but were not removed yet (the
        // slot's fence key lives a millisecond), and purge()'s SCAN removes
        // them without counting: let them expire, and let a SCAN remove them.
        usleep(20000);
        $cursor = '0';
        do {
            [$cursor] = $admin->command('SCAN', $cursor, 'COUNT', '1000');
        } while ($cursor !== '0');
        $before = (int) $admin->command('DBSIZE');
        $deleted = $site->purge();
        $this->assertGreaterThan(2500, $deleted);
        $this->assertSame($before - $deleted, (int) $admin->command('DBSIZE'));
        $this->assertSame('v', $other->get('keep'));
        $this->assertSame('v', $admin->command('GET', 'unprefixed'));
        $this->assertSame(0, $site->purge());
        $this->assertSame(2, (int) $admin->command('DBSIZE'));
    }

    public function testNoPrefixCanReachIntoAnothersKeySpace(): void
    {
        // With ':' allowed, 'shop' read 'shop:kv's values and purged 'shop:eu'.
        foreach (['shop:kv', 'shop:eu', 'shop:', ':shop'] as $prefix) {
            try {
                self::$redis->client(['prefix' => $prefix]);
                $this->fail("prefix '$prefix' accepted");
            } catch (\ValueError $e) {
                $this->assertStringStartsWith("options['prefix']: may not contain ':'", $e->getMessage());
                $this->assertStringContainsString("'shop-eu'", $e->getMessage());
            }
        }
        ini_set('redis_persona.prefix', 'shop:eu');
        try {
            self::$redis->client();
            $this->fail('INI prefix with a colon accepted');
        } catch (\ValueError $e) {
            $this->assertStringStartsWith("redis_persona.prefix: may not contain ':'", $e->getMessage());
        } finally {
            ini_restore('redis_persona.prefix');
        }

        $admin = self::$redis->admin(7);
        $admin->command('FLUSHDB');
        $shop = self::$redis->client(['prefix' => 'shop'], 7);
        $eu = self::$redis->client(['prefix' => 'shop-eu'], 7);
        $dotted = self::$redis->client(['prefix' => 'shop.eu'], 7);
        $eu->set('secret', 'eu');
        $dotted->set('secret', 'dotted');
        $this->assertNull($shop->get('eu:secret'));
        $this->assertNull($shop->get('kv:secret'));
        $shop->set('mine', 'v');
        $this->assertSame(1, $shop->purge());
        $this->assertSame('eu', $eu->get('secret'));
        $this->assertSame('dotted', $dotted->get('secret'));
    }

    public function testPhpinfoShowsVersionSettingsAndPoolsWithThePasswordMasked(): void
    {
        ini_set('redis_persona.url', 'redis://:hunter2@127.0.0.1:1/0');
        try {
            ob_start();
            (new \ReflectionExtension('redis_persona'))->info();
            $info = (string) ob_get_clean();
        } finally {
            ini_restore('redis_persona.url');
        }
        $this->assertStringContainsString('redis_persona support => enabled', $info);
        $this->assertStringContainsString('version => ' . phpversion('redis_persona'), $info);
        $this->assertStringContainsString('redis_persona.url => redis://:***@127.0.0.1:1/0', $info);
        $this->assertStringContainsString('redis_persona.read_timeout_ms', $info);
        $this->assertStringContainsString('circuit breaker', $info);
        $this->assertStringNotContainsString('hunter2', $info);
    }

    public function testPasswordsAreMaskedInEveryMessageReportAndPhpinfo(): void
    {
        $port = \RedisPersona\Tests\Support\RedisServer::freePort();
        $shown = [];
        foreach (
            [
                "redis://:hunter2@127.0.0.1:$port/0",
                "redis://app:hunter2@127.0.0.1:$port/0?password=hunter2",
                "unix:///tmp/rp-no-such-$port.sock?db=1&pass=hunter2",
            ] as $url
        ) {
            $client = new Client($url);
            try {
                $client->ping();
                $this->fail('ping succeeded');
            } catch (\RedisPersona\ConnectionException $e) {
                $shown[] = $e->getMessage();
            }
            try {
                $client->get('k');
            } catch (\RedisPersona\ConnectionException $e) {
                $shown[] = $e->getMessage();
            }
            $health = $client->health();
            $shown[] = json_encode($health);
            $this->assertStringContainsString('***', $health['url']);
        }
        foreach (["redis://:hunter2@127.0.0.1:99999/0", "redis://h:99999/0?password=hunter2"] as $bad) {
            try {
                new Client($bad);
                $this->fail("$bad accepted");
            } catch (\ValueError $e) {
                $shown[] = $e->getMessage();
            }
        }
        ini_set('redis_persona.url', 'redis://127.0.0.1:1/0?password=hunter2');
        try {
            ob_start();
            (new \ReflectionExtension('redis_persona'))->info();
            $shown[] = (string) ob_get_clean();
        } finally {
            ini_restore('redis_persona.url');
        }
        foreach ($shown as $text) {
            $this->assertStringNotContainsString('hunter2', $text);
        }
        $this->assertStringContainsString('password=***', end($shown));
    }
}
