<?php

// SlotLock, Otp and RateLimiter against phpredis code doing the same job the
// usual way. Two peers per primitive:
// - "EVALSHA peer" (the first version of this bench): SET NX EX + EVALSHA
//   compare-and-delete; SETEX + GET + DEL of a code; INCR then EXPIRE, two
//   calls every time.
// - "issue 15 peer" (exactly as issue 15 describes it): SET NX EX + EVAL
//   compare-and-delete; SETEX / GET / DEL plus an INCR attempt limit for a
//   code; a bare INCR with EXPIRE only on the first hit of a window.
// Ours do strictly more (fences, index and events; HMAC hashing, attempt
// counting and issue limits; GCRA instead of a fixed window).
// Prints the timing table, then the memory table of a rate-limit key.
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
$lock = fn () => $locks->release(
    '2026-12-24',
    '10:00',
    'room-1',
    $locks->acquire('2026-12-24', '10:00', 'room-1', 'guest-42', 60)['token']
);
$verify = function () use ($otp, &$n) {
    $guest = 'guest-' . (++$n % 5000) . '@example.org';
    $otp->verify($guest, $otp->issue($guest));
};
$attempt = fn () => $limiter->attempt('203.0.113.9');

$cases = [
    'slot lock: acquire + release (EVALSHA peer)' => [
        $lock,
        function () use ($redis, $releaseSha) {
            $token = bin2hex(random_bytes(16));
            $redis->set('glue:lock:2026-12-24:room-1:10:00', $token, ['nx', 'ex' => 60]);
            $redis->evalSha($releaseSha, ['glue:lock:2026-12-24:room-1:10:00', $token], 1);
        },
    ],
    'slot lock: acquire + release (issue 15 peer: EVAL)' => [
        $lock,
        function () use ($redis, $release) {
            $token = bin2hex(random_bytes(16));
            $redis->set('glue:lock:2026-12-24:room-1:10:00', $token, ['nx', 'ex' => 60]);
            $redis->eval($release, ['glue:lock:2026-12-24:room-1:10:00', $token], 1);
        },
    ],
    'OTP: issue + verify (EVALSHA peer)' => [
        $verify,
        function () use ($redis, &$n) {
            $key = 'glue:otp:guest-' . (++$n % 5000) . '@example.org';
            $code = sprintf('%06d', random_int(0, 999999));
            $redis->setex($key, 600, $code);
            if (hash_equals((string) $redis->get($key), $code)) {
                $redis->del($key);
            }
        },
    ],
    'OTP: issue + verify (issue 15 peer: + INCR limit)' => [
        $verify,
        function () use ($redis, &$n) {
            $key = 'glue:otp:guest-' . (++$n % 5000) . '@example.org';
            $code = sprintf('%06d', random_int(0, 999999));
            $redis->setex($key, 600, $code);
            // Verify: count the attempt, refuse past 5, compare, consume.
            if ($redis->incr("$key:tries") === 1) {
                $redis->expire("$key:tries", 600);
            }
            if (hash_equals((string) $redis->get($key), $code)) {
                $redis->del($key, "$key:tries");
            }
        },
    ],
    'rate limit: one attempt (INCR + EXPIRE peer)' => [
        $attempt,
        function () use ($redis) {
            $redis->incr('glue:rl:203.0.113.9');
            $redis->expire('glue:rl:203.0.113.9', 1);
        },
    ],
    'rate limit: one attempt (issue 15 peer: EXPIRE on first hit)' => [
        $attempt,
        function () use ($redis) {
            if ($redis->incr('glue:rl1:203.0.113.9') === 1) {
                $redis->expire('glue:rl1:203.0.113.9', 1);
            }
        },
    ],
];

echo rp_compare($cases, (int) $rounds, (int) $iterations);

// Memory of one rate-limit key after n attempts (GCRA keeps one short
// string whatever n is; the sliding-window log it replaced kept one sorted-set
// member per attempt: 355 KB after 3 000).
$memory = new RedisPersona\RateLimiter($client, 'memory', 100000, 3600);
$memory->reset('198.51.100.7');
$key = 'bench:rl:memory:' . substr(hash('sha256', '198.51.100.7'), 0, 32);
$redis->del('glue:rlm:198.51.100.7');
$done = 0;
echo "\n| attempts on one key | redis-persona MEMORY USAGE (bytes) | phpredis INCR key (bytes) |\n";
echo "|---:|---:|---:|\n";
foreach ([10, 1000, 3000] as $upTo) {
    for (; $done < $upTo; $done++) {
        $memory->attempt('198.51.100.7');
        if ($redis->incr('glue:rlm:198.51.100.7') === 1) {
            $redis->expire('glue:rlm:198.51.100.7', 3600);
        }
    }
    $ours = $redis->rawCommand('MEMORY', 'USAGE', $key);
    $theirs = $redis->rawCommand('MEMORY', 'USAGE', 'glue:rlm:198.51.100.7');
    printf("| %d | %d | %d |\n", $upTo, $ours, $theirs);
}
