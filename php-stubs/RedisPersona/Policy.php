<?php

/**
 * Stubs of the redis_persona extension, for IDEs and static analysis.
 * tests/php/StubsTest.php fails when these drift from the loaded extension.
 */

namespace RedisPersona;

/**
 * The one policy of redis-persona: every default and limit the extension
 * applies, so a fallback without Redis (the WordPress plugin's database
 * store) follows exactly the same rules instead of copying numbers.
 *
 * Options a caller may set are `['default' => …, 'min' => …, 'max' => …]`;
 * fixed limits are plain numbers; character rules are PCRE patterns that
 * match exactly what the extension accepts. Sections:
 *
 * - `cache`: `ttl`, `stale_ttl` (s), `max_bytes`, `compress_min_bytes`,
 *   `beta` (floats), `lock_ttl_ms`, `lock_wait_ms`, `max_warm_variants`.
 * - `slot`: `ttl` (s), `max_owner_bytes`, `min_fence`.
 * - `otp`: `ttl` (s), `digits`, `max_attempts`, `issue_limit`,
 *   `issue_window` (s), `min_secret_bytes`, `max_identity_bytes`, `max_code_bytes`.
 * - `rate_limit`: `algorithm` (`'gcra'`), `limit` and `window` (s) as
 *   `['min', 'max']`, `max_key_bytes`.
 * - `persona`: `max_bytes`, `pattern`.
 * - `keys`: `max_ttl` (s, every key), `max_key_bytes`, `key_pattern`,
 *   `max_tag_bytes`, `tag_pattern`, `max_name_bytes`, `name_pattern`
 *   (resource and limiter names).
 *
 * @example $digits = \RedisPersona\Policy::defaults()['otp']['digits']['default']; // 6
 */
final class Policy
{
    /**
     * The policy is static: use Policy::defaults(); `new Policy()` throws.
     *
     * @throws \Exception Always: "You cannot instantiate this class from PHP."
     * @example $policy = \RedisPersona\Policy::defaults();
     */
    public function __construct()
    {
    }

    /**
     * Every default and limit, nested by feature. No I/O; never throws.
     *
     * @return array{
     *     cache: array<string, int|array{default: int|float, min: int|float, max: int|float}>,
     *     slot: array{
     *         ttl: array{default: int, min: int, max: int},
     *         max_owner_bytes: int,
     *         min_fence: array{default: int, min: int, max: int}
     *     },
     *     otp: array<string, int|array{default: int, min: int, max: int}>,
     *     rate_limit: array{algorithm: string, limit: array{min: int, max: int}, window: array{min: int, max: int}, max_key_bytes: int},
     *     persona: array{max_bytes: int, pattern: string},
     *     keys: array<string, int|string>
     * }
     * @example $otp = \RedisPersona\Policy::defaults()['otp']; $ttl = $otp['ttl']['default'];
     */
    public static function defaults(): array
    {
    }
}
