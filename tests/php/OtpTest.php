<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Otp;
use RedisPersona\RateLimitedException;
use RedisPersona\RateLimiter;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

final class OtpTest extends RedisTestCase
{
    private const SECRET = 'a-test-secret-of-32-bytes-length';

    private function otp(string $prefix, array $options = []): Otp
    {
        return new Otp(self::$redis->client(['prefix' => $prefix]), self::SECRET, $options);
    }

    public function testACodeVerifiesOnceAndReplaysFail(): void
    {
        $otp = $this->otp('otp1');
        $code = $otp->issue('zoe@example.org');
        $this->assertMatchesRegularExpression('/^\d{6}$/', $code);
        $this->assertFalse($otp->verify('other@example.org', $code));
        $this->assertTrue($otp->verify('zoe@example.org', substr($code, 0, 3) . ' ' . substr($code, 3)));
        $this->assertFalse($otp->verify('zoe@example.org', $code), 'replayed');
        $eight = $this->otp('otp1b', ['digits' => 8])->issue('zoe@example.org');
        $this->assertMatchesRegularExpression('/^\d{8}$/', $eight);
    }

    public function testBruteForceBurnsTheCode(): void
    {
        $otp = $this->otp('otp2');
        $code = $otp->issue('guest@example.org');
        $guess = 0;
        for ($i = 0; $i < 1000; $i++, $guess++) {
            $wrong = sprintf('%06d', $guess === (int) $code ? ++$guess : $guess);
            $this->assertFalse($otp->verify('guest@example.org', $wrong));
        }
        $this->assertFalse($otp->verify('guest@example.org', $code), 'right code accepted after 1000 wrong ones');
    }

    public function testANewCodeReplacesTheOldOneAndIssuingIsRateLimited(): void
    {
        $otp = $this->otp('otp3', ['issue_limit' => 2, 'issue_window' => 120]);
        $first = $otp->issue('limit@example.org');
        $second = $otp->issue('limit@example.org');
        if ($first !== $second) {
            $this->assertFalse($otp->verify('limit@example.org', $first));
        }
        try {
            $otp->issue('limit@example.org');
            $this->fail('no RateLimitedException');
        } catch (RateLimitedException $e) {
            // GCRA: a burst of 2, then one every 120 s / 2.
            $this->assertSame(60, $e->getRetryAfter());
            $this->assertStringContainsString('retry in 60 s', $e->getMessage());
        }
        $this->assertTrue($otp->verify('limit@example.org', $second));
        $this->assertMatchesRegularExpression('/^\d{6}$/', $otp->issue('someone-else@example.org'));
    }

    public function testTheIssueLimitRefillsOneCodePerInterval(): void
    {
        $otp = $this->otp('otp7', ['issue_limit' => 2, 'issue_window' => 2]);
        $otp->issue('refill@example.org');
        $otp->issue('refill@example.org');
        try {
            $otp->issue('refill@example.org');
            $this->fail('no RateLimitedException');
        } catch (RateLimitedException $e) {
            $this->assertSame(1, $e->getRetryAfter());
        }
        usleep(1_050_000);
        $code = $otp->issue('refill@example.org');
        $this->assertTrue($otp->verify('refill@example.org', $code));
        $this->expectException(RateLimitedException::class);
        $otp->issue('refill@example.org');
    }

    public function testRacingVerifiesHaveExactlyOneWinner(): void
    {
        $otp = new Otp(self::$redis->client(['prefix' => 'race-verify']), str_repeat('s', 32));
        $code = $otp->issue('race@example.org');
        $run = PhpProcess::run(__DIR__ . '/fixtures/race.php', ['verify', self::$redis->target(), '16', $code], self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $results = array_merge(...json_decode($run['stdout'], true));
        $this->assertCount(16, $results);
        $this->assertSame(1, count(array_filter($results)));
    }

    public function testNeitherTheCodeNorTheIdentityIsStoredAnywhere(): void
    {
        $otp = $this->otp('otp5');
        $email = 'private.person@example.org';
        $code = $otp->issue($email);
        $otp->verify($email, '000000');
        $limiter = new RateLimiter(self::$redis->client(['prefix' => 'otp5']), 'otp', 5, 60);
        $limiter->attempt($email);
        $admin = self::$redis->admin();
        $dump = '';
        $cursor = '0';
        do {
            [$cursor, $keys] = $admin->command('SCAN', $cursor, 'COUNT', '1000');
            foreach ($keys as $key) {
                $dump .= $key . "\n";
                $dump .= match ($admin->command('TYPE', $key)) {
                    'string' => $admin->command('GET', $key),
                    'hash' => implode("\n", $admin->command('HGETALL', $key)),
                    'zset' => implode("\n", $admin->command('ZRANGE', $key, '0', '-1', 'WITHSCORES')),
                    'set' => implode("\n", $admin->command('SMEMBERS', $key)),
                    'list' => implode("\n", $admin->command('LRANGE', $key, '0', '-1')),
                    default => '',
                } . "\n";
            }
        } while ($cursor !== '0');
        $this->assertStringContainsString('otp5:otp:', $dump, 'the scan saw the OTP keys');
        $this->assertStringNotContainsString($email, $dump);
        $this->assertStringNotContainsString('private.person', $dump);
        $this->assertStringNotContainsString($code, $dump);
    }

    public function testBadInput(): void
    {
        $client = self::$redis->client();
        $cases = [
            'secret' => fn () => new Otp($client, 'short'),
            "options['digits']" => fn () => new Otp($client, self::SECRET, ['digits' => 3]),
            "options['nope']" => fn () => new Otp($client, self::SECRET, ['nope' => 1]),
            'identity' => fn () => $this->otp('otp6')->issue(''),
            'code' => fn () => $this->otp('otp6')->verify('a@example.org', str_repeat('1', 65)),
        ];
        $this->assertEachRefusesItsArgument($cases);
        $this->assertFalse($this->otp('otp6')->verify('nobody@example.org', "12\x0034"));
    }
}
