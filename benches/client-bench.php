<?php

// Per-call cost of RedisPersona\Client against phpredis (Debian php-redis,
// pconnect) doing the same job, interleaved in one process so both see the
// same machine state. Prints a Markdown table; lower ratio is better.
require __DIR__ . '/harness.php';

[$_, $port, $rounds, $iterations] = $argv + [null, '6379', '15', '2000'];
$port = (int) $port;
$url = "redis://127.0.0.1:$port";

$rp = new RedisPersona\Client($url);
$redis = new Redis();
$redis->pconnect('127.0.0.1', $port);
$html2k = str_repeat('<p>persona</p>', 146);
$rp->set('bench', $html2k, 600);

$cases = [
    'ping()' => [
        fn () => $rp->ping(),
        fn () => $redis->ping(),
    ],
    'get() 2 KB hit' => [
        fn () => $rp->get('bench'),
        fn () => $redis->get('rp:kv:bench'),
    ],
    'set() 2 KB with TTL' => [
        fn () => $rp->set('bench', $html2k, 600),
        fn () => $redis->setex('rp:kv:bench', 600, $html2k),
    ],
    'per request: new client + first call' => [
        fn () => (new RedisPersona\Client($url))->ping(),
        function () use ($port) {
            $r = new Redis();
            $r->pconnect('127.0.0.1', $port);
            $r->ping();
        },
    ],
];

echo rp_compare($cases, (int) $rounds, (int) $iterations);
