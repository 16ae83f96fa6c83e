<?php

// PersonaCache and Invalidator against phpredis code doing the same job the
// straightforward way: one key per (post, persona) with SETEX, a GET per
// lookup, a SETEX per persona to warm, and on invalidation the dependents
// read from a set and a DEL per key.
require __DIR__ . '/harness.php';

[$_, $port, $rounds, $iterations] = $argv + [null, '6379', '15', '2000'];
$port = (int) $port;
$client = new RedisPersona\Client("redis://127.0.0.1:$port", ['prefix' => 'bench']);
$cache = new RedisPersona\PersonaCache($client, ['beta' => 0]);
$plain = new RedisPersona\PersonaCache($client, ['beta' => 0, 'compression' => 'none']);
$lz4 = new RedisPersona\PersonaCache($client, ['beta' => 0, 'compression' => 'lz4']);
$invalidator = new RedisPersona\Invalidator($client);
$redis = new Redis();
$redis->pconnect('127.0.0.1', $port);

$personas = ['family', 'solo', 'business', 'couple', 'senior', 'student', 'group', 'pet'];
$page2k = rp_page(2048, 1);
$page50k = rp_page(50 * 1024, 2);
$byPersona = [];
foreach ($personas as $i => $p) {
    $byPersona[$p] = rp_page(2048, 10 + $i);
}
$ttl = 3600;
$cache->set(1, 'family', $page2k, $ttl);
$cache->set(2, 'family', $page50k, $ttl);
$plain->set(2, 'plain', $page50k, $ttl);
$lz4->set(2, 'lz4', $page50k, $ttl);
$redis->setex('glue:post:1:family', $ttl, $page2k);
$redis->setex('glue:post:2:family', $ttl, $page50k);

// Post 100 with 8 personas and 10 dependents (101..110), each with 8 personas.
$family = range(100, 110);
foreach (range(101, 110) as $dependent) {
    $invalidator->dependsOn($dependent, [100]);
    $redis->sAdd('glue:deps:100', (string) $dependent);
}
$warmFamily = function () use ($cache, $family, $byPersona, $ttl) {
    foreach ($family as $post) {
        $cache->warm($post, $byPersona, $ttl);
    }
};
$warmGlue = function () use ($redis, $family, $byPersona, $ttl) {
    foreach ($family as $post) {
        foreach ($byPersona as $p => $html) {
            $redis->setex("glue:post:$post:$p", $ttl, $html);
        }
    }
};

$cases = [
    'get() hit, 2 KB page' => [
        fn () => $cache->get(1, 'family'),
        fn () => $redis->get('glue:post:1:family'),
    ],
    "get() hit, 50 KB page (default 'auto': plain on the loopback)" => [
        fn () => $cache->get(2, 'family'),
        fn () => $redis->get('glue:post:2:family'),
    ],
    "get() hit, 50 KB page, compression 'lz4'" => [
        fn () => $lz4->get(2, 'lz4'),
        fn () => $redis->get('glue:post:2:family'),
    ],
    "get() hit, 50 KB page, compression 'none'" => [
        fn () => $plain->get(2, 'plain'),
        fn () => $redis->get('glue:post:2:family'),
    ],
    'set() 2 KB page' => [
        fn () => $cache->set(3, 'family', $page2k, $ttl),
        fn () => $redis->setex('glue:post:3:family', $ttl, $page2k),
    ],
    'warm() 8 personas × 2 KB' => [
        fn () => $cache->warm(4, $byPersona, $ttl),
        function () use ($redis, $byPersona, $ttl) {
            foreach ($byPersona as $p => $html) {
                $redis->setex("glue:post:4:$p", $ttl, $html);
            }
        },
    ],
    'invalidatePost(): 8 personas + 10 dependents × 8' => [
        'setup' => [$warmFamily, $warmGlue],
        'run' => [
            fn () => $invalidator->invalidatePost(100),
            function () use ($redis, $personas) {
                $posts = array_merge([100], $redis->sMembers('glue:deps:100'));
                foreach ($posts as $post) {
                    foreach ($personas as $p) {
                        $redis->del("glue:post:$post:$p");
                    }
                }
            },
        ],
    ],
];

echo rp_compare($cases, (int) $rounds, (int) $iterations, [
    'invalidatePost(): 8 personas + 10 dependents × 8' => max(20, intdiv((int) $iterations, 20)),
]);
