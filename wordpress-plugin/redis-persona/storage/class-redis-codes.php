<?php

/**
 * One-time codes on the extension's Otp (its issuing limit surfaces as
 * LimitExceeded).
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

use RedisPersona\Client;
use RedisPersona\Otp;
use RedisPersona\RateLimitedException;

if (!defined('ABSPATH')) {
    exit;
}

final class RedisCodes implements CodeStore
{
    private Client $client;
    private ?Otp $otp = null;

    public function __construct(Client $client)
    {
        $this->client = $client;
    }

    public function otp_issue(string $identity): string
    {
        $this->otp ??= new Otp($this->client, self::otp_secret(), Policy::otp());
        try {
            return $this->otp->issue($identity);
        } catch (RateLimitedException $e) {
            throw new LimitExceeded($e->getRetryAfter());
        }
    }

    public function otp_verify(string $identity, string $code): bool
    {
        $this->otp ??= new Otp($this->client, self::otp_secret(), Policy::otp());
        return $this->otp->verify($identity, $code);
    }

    private static function otp_secret(): string
    {
        return hash_hmac('sha256', 'redis-persona:otp', wp_salt('auth'), true);
    }
}
