<?php

/**
 * One-time codes on the database: only an HMAC of the code is stored,
 * attempts are reserved with a conditional UPDATE, a success is consumed with
 * a conditional DELETE, and issuing is limited per identity (GCRA).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class DatabaseCodes implements CodeStore
{
    private StateTable $table;
    /** @var array<string, int> */
    private array $otp;

    public function __construct(StateTable $table)
    {
        $this->table = $table;
        $this->otp = Policy::otp();
    }

    private function otp_name(string $identity): string
    {
        return 'otp:' . hash_hmac('sha256', $identity, self::secret('otp-identity'));
    }

    private static function secret(string $purpose): string
    {
        return hash_hmac('sha256', 'redis-persona:' . $purpose, wp_salt('nonce'));
    }

    public function otp_issue(string $identity): string
    {
        $name = $this->otp_name($identity);
        $limit = $this->table->gcra('otp-issue:' . substr($name, 4), $this->otp['issue_limit'], $this->otp['issue_window']);
        if (!$limit['allowed']) {
            throw new LimitExceeded($limit['retry_after']);
        }
        $digits = $this->otp['digits'];
        $code = str_pad((string) random_int(0, 10 ** $digits - 1), $digits, '0', STR_PAD_LEFT);
        $hash = hash_hmac('sha256', $identity . '|' . $code, self::secret('otp-code'));
        $this->table->put($name, $hash, 0, StateTable::now_ms() + $this->otp['ttl'] * 1000);
        return $code;
    }

    public function otp_verify(string $identity, string $code): bool
    {
        $name = $this->otp_name($identity);
        // Reserve the attempt first: parallel guesses get at most max_attempts comparisons.
        if (!$this->table->reserve_attempt($name, $this->otp['max_attempts'])) {
            return false;
        }
        $row = $this->table->get($name);
        if ($row === null) {
            return false;
        }
        $hash = hash_hmac('sha256', $identity . '|' . $code, self::secret('otp-code'));
        if (!hash_equals($row['value'], $hash)) {
            return false;
        }
        // Consumed by exactly one caller.
        return $this->table->delete_if($name, $hash);
    }
}
