<?php

declare(strict_types=1);

namespace RedisPersona\WpTests;

use RedisPersona\WpTests\Support\Site;
use RedisPersona\WpTests\Support\SiteTestCase;

final class OtpTest extends SiteTestCase
{
    private static function identity(): string
    {
        return 'guest-' . bin2hex(random_bytes(5)) . '@example.test';
    }

    private static function request(string $identity, array $options): array
    {
        return Site::rest('POST', 'redis-persona/v1/otp/request', ['identity' => $identity], $options);
    }

    private static function verify(string $identity, string $code, array $options): array
    {
        return Site::rest('POST', 'redis-persona/v1/otp/verify', ['identity' => $identity, 'code' => $code], $options);
    }

    public function testTheMailedCodeVerifiesOnceAndOnlyOnce(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $identity = self::identity();
        $requested = self::request($identity, $ip);
        $this->assertSame(202, $requested['status'], $requested['body']);
        $code = Site::mailed_code($identity);
        $this->assertNotNull($code, 'the code was mailed');
        $this->assertMatchesRegularExpression('/^\d{6}$/', $code);

        $verified = self::verify($identity, $code, $ip);
        $this->assertSame(200, $verified['status'], $verified['body']);
        $this->assertTrue($verified['json']['verified']);
        $this->assertNotEmpty($verified['json']['token']);
        $this->assertSame(401, self::verify($identity, $code, $ip)['status'], 'a replay is rejected');
    }

    public function testAWrongGuessBurnsTheCodeAfterFiveAttempts(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $identity = self::identity();
        $this->assertSame(202, self::request($identity, $ip)['status']);
        $code = (string) Site::mailed_code($identity);
        $wrong = str_pad((string) (((int) $code + 1) % 1000000), 6, '0', STR_PAD_LEFT);
        for ($i = 0; $i < 5; $i++) {
            $response = self::verify($identity, $wrong, $ip);
            $this->assertSame(401, $response['status']);
            $this->assertSame('rp_otp_invalid', $response['json']['code']);
        }
        $this->assertSame(401, self::verify($identity, $code, $ip)['status'], 'the right code after five wrong ones');
    }

    public function testKnownAndUnknownIdentitiesGetTheSameAnswer(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $known = self::request('admin@example.test', $ip);
        $unknown = self::request(self::identity(), $ip);
        $this->assertSame(202, $known['status']);
        $this->assertSame($known['status'], $unknown['status']);
        $this->assertSame($known['body'], $unknown['body']);
        $this->assertStringNotContainsString('code', strtolower(json_encode($unknown['json']['status'])));
    }

    public function testIssuingIsLimitedPerIdentityAndPerAddress(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $identity = self::identity();
        $responses = [];
        for ($i = 0; $i < 4; $i++) {
            $responses[] = self::request($identity, $ip);
        }
        // The per-identity limit is silent: the same answer, but no fourth code.
        $this->assertSame([202, 202, 202, 202], array_column($responses, 'status'));
        $this->assertCount(1, array_unique(array_column($responses, 'body')), 'identical bodies');
        $this->assertNotNull(Site::mailed_code($identity));
        usleep(500000);
        $mailed = array_filter(Site::mails(), static fn (array $mail): bool => $mail['to'] === $identity);
        $this->assertCount(3, $mailed, 'three codes per identity per window');

        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $statuses = [];
        for ($i = 0; $i < 11; $i++) {
            $statuses[] = self::request(self::identity(), $ip)['status'];
        }
        $this->assertSame(array_merge(array_fill(0, 10, 202), [429]), $statuses, 'ten requests per address per hour');
    }

    public function testVerifyingIsLimitedPerAddress(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $statuses = [];
        for ($i = 0; $i < 31; $i++) {
            $statuses[] = self::verify(self::identity(), '123456', $ip)['status'];
        }
        $this->assertSame(array_merge(array_fill(0, 30, 401), [429]), $statuses);
    }

    public function testNoCodeOrAddressIsStoredInTheClear(): void
    {
        $ip = ['headers' => ['X-RP-Test-IP' => self::ip()]];
        $identity = self::identity();
        $this->assertSame(202, self::request($identity, $ip)['status']);
        $code = (string) Site::mailed_code($identity);
        $dump = Site::wp(<<<'PHP'
            global $wpdb;
            $table = $wpdb->prefix . 'redis_persona_state';
            foreach ($wpdb->get_results("SELECT name, value, data FROM `$table` WHERE name LIKE 'otp%'", ARRAY_N) as $row) {
                echo implode(' ', $row), "\n";
            }
            PHP);
        $this->assertStringNotContainsString($identity, $dump);
        $this->assertStringNotContainsString($code, $dump);
        if (Site::mode() === 'redis') {
            $keys = Site::redis_keys('*:otp:*');
            $this->assertNotEmpty($keys);
            $values = '';
            foreach ($keys as $key) {
                $values .= $key . ' ' . Site::redis('--no-raw DUMP ' . escapeshellarg($key));
            }
            $this->assertStringNotContainsString($identity, $values);
            $this->assertStringNotContainsString($code, $values);
        }
    }
}
