<?php

// SlotLock, Otp and RateLimiter against phpredis code doing the same job the
// usual way: SET NX EX + EVAL compare-and-delete for a lock; SETEX + GET +
// DEL for a code; INCR + EXPIRE for a rate limit. Ours do strictly more
// (fences, index and events; HMAC hashing, attempt counting and issue
// limits; a sliding window instead of a fixed one).
require __DIR__ . '/harness.php';

[$_, $port, $rounds, $iterations] = $argv + [null, '6379', '15', '2000'];
$port = (int) $port;
$client = new RedisPersona\Client("redis://127.0.0.1:$port", ['prefix' => 'bench']);
$locks = new RedisPersona\SlotLock($client);
$otp = new RedisPersona\Otp($client, str_repeat('k', 32), ['issue_limit' => 1000, 'issue_window' => 1]);
$n = 0;
$limiter = new RedisPersona\RateLimiter($client, 'bench', 100000, 1);
$redis = new Redis();
$redis->pconnect('127.0.0.1', $port);
$release = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
$releaseSha = $redis->script('load', $release);

$cases = [
    'slot lock: acquire + release' => [
        function () use ($locks) {
            $lock = $locks->acquire('2026-12-24', '10:00', 'room-1', 'guest-42', 60);
            $locks->release('2026-12-24', '10:00', 'room-1', $lock['token']);
        },
        function () use ($redis, $releaseSha) {
            $token = bin2hex(random_bytes(16));
            $redis->set('glue:lock:2026-12-24:room-1:10:00', $token, ['nx', 'ex' => 60]);
            $redis->evalSha($releaseSha, ['glue:lock:2026-12-24:room-1:10:00', $token], 1);
        },
    ],
    'OTP: issue + verify' => [
        function () use ($otp, &$n) {
            $guest = 'guest-' . (++$n % 5000) . '@example.org';
            $otp->verify($guest, $otp->issue($guest));
        },
        function () use ($redis, &$n) {
            $key = 'glue:otp:guest-' . (++$n % 5000) . '@example.org';
            $code = sprintf('%06d', random_int(0, 999999));
            $redis->setex($key, 600, $code);
            if (hash_equals((string) $redis->get($key), $code)) {
                $redis->del($key);
            }
        },
    ],
    'rate limit: one attempt' => [
        fn () => $limiter->attempt('203.0.113.9'),
        function () use ($redis) {
            $redis->incr('glue:rl:203.0.113.9');
            $redis->expire('glue:rl:203.0.113.9', 1);
        },
    ],
];

echo rp_compare($cases, (int) $rounds, (int) $iterations);
