<?php

/**
 * Who is asking, as the rate limits and hold caps see it.
 *
 * - REMOTE_ADDR, unless it is one of `REDIS_PERSONA_TRUSTED_PROXIES` (a list,
 *   or a comma-separated string, of addresses and CIDRs): then the
 *   right-most address of `X-Forwarded-For` that is not itself a trusted
 *   proxy. A header from anyone else is ignored, so it cannot be spoofed.
 * - The filter `redis_persona_client_ip` may still replace the result.
 * - For limits, IPv6 addresses count by their /64 (one host is usually given
 *   a whole /64 and can pick any address in it), IPv4 by the address.
 */

declare(strict_types=1);

namespace RedisPersona\WordPress;

if (!defined('ABSPATH')) {
    exit;
}

final class ClientAddress
{
    /** The client's address ('0.0.0.0' when none is valid). */
    public static function ip(): string
    {
        $remote = isset($_SERVER['REMOTE_ADDR']) && is_string($_SERVER['REMOTE_ADDR']) ? $_SERVER['REMOTE_ADDR'] : '';
        $ip = $remote;
        $proxies = self::trusted_proxies();
        if ($proxies !== [] && self::in_any($remote, $proxies)) {
            $ip = self::forwarded_client($proxies) ?? $remote;
        }
        $ip = apply_filters('redis_persona_client_ip', $ip);
        return is_string($ip) && filter_var($ip, FILTER_VALIDATE_IP) !== false ? $ip : '0.0.0.0';
    }

    /** What limits count by: the IPv4 address, or the IPv6 /64 as "prefix::/64". */
    public static function limit_key(?string $ip = null): string
    {
        $ip ??= self::ip();
        if (filter_var($ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) === false) {
            return $ip;
        }
        $packed = self::packed($ip);
        if ($packed === null) {
            return $ip;
        }
        // An IPv4-mapped address (::ffff:a.b.c.d, as dual-stack listeners
        // report IPv4 clients) is that IPv4 client: by its /64 every IPv4
        // visitor would share one bucket.
        if (str_starts_with($packed, str_repeat("\0", 10) . "\xff\xff")) {
            return (string) inet_ntop(substr($packed, 12));
        }
        $bits = Policy::IPV6_PREFIX_BITS;
        $network = substr($packed, 0, intdiv($bits, 8)) . str_repeat("\0", 16 - intdiv($bits, 8));
        return inet_ntop($network) . '/' . $bits;
    }

    /** @return list<string> */
    public static function trusted_proxies(): array
    {
        if (!defined('REDIS_PERSONA_TRUSTED_PROXIES')) {
            return [];
        }
        $list = REDIS_PERSONA_TRUSTED_PROXIES;
        $list = is_string($list) ? explode(',', $list) : (is_array($list) ? $list : []);
        return array_values(array_filter(array_map(static fn ($v): string => is_string($v) ? trim($v) : '', $list), 'strlen'));
    }

    /** @param list<string> $proxies */
    private static function forwarded_client(array $proxies): ?string
    {
        $header = $_SERVER['HTTP_X_FORWARDED_FOR'] ?? '';
        if (!is_string($header) || $header === '' || strlen($header) > 4096) {
            return null;
        }
        $hops = array_reverse(array_map('trim', explode(',', $header)));
        foreach ($hops as $hop) {
            if (filter_var($hop, FILTER_VALIDATE_IP) === false) {
                return null;
            }
            if (!self::in_any($hop, $proxies)) {
                return $hop;
            }
        }
        return null;
    }

    /** @param list<string> $ranges addresses or CIDRs */
    public static function in_any(string $ip, array $ranges): bool
    {
        foreach ($ranges as $range) {
            if (self::in_range($ip, $range)) {
                return true;
            }
        }
        return false;
    }

    public static function in_range(string $ip, string $range): bool
    {
        $address = self::packed($ip);
        [$network, $bits] = array_pad(explode('/', $range, 2), 2, null);
        $net = is_string($network) ? self::packed($network) : null;
        if ($address === null || $net === null || strlen($address) !== strlen($net)) {
            return false;
        }
        $max = strlen($net) * 8;
        $bits = $bits === null ? $max : (ctype_digit($bits) ? (int) $bits : -1);
        if ($bits < 0 || $bits > $max) {
            return false;
        }
        $bytes = intdiv($bits, 8);
        if (substr($address, 0, $bytes) !== substr($net, 0, $bytes)) {
            return false;
        }
        $rest = $bits % 8;
        if ($rest === 0) {
            return true;
        }
        $mask = (0xff << (8 - $rest)) & 0xff;
        return (ord($address[$bytes]) & $mask) === (ord($net[$bytes]) & $mask);
    }

    /** An address in binary, or null (inet_pton warns on what filter_var rejects quietly). */
    private static function packed(string $ip): ?string
    {
        if (filter_var($ip, FILTER_VALIDATE_IP) === false) {
            return null;
        }
        $packed = inet_pton($ip);
        return $packed === false ? null : $packed;
    }
}
