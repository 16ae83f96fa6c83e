<?php

// redis-persona on a 3-master / 3-replica Redis Cluster against phpredis's
// RedisCluster doing the same job the straightforward way: GET / SETEX of one
// key; SET NX EX + EVAL compare-and-delete for a lock (phpredis sends the
// script to the node of its first key); SMEMBERS of the dependents and a DEL
// per key to invalidate a post; an INCR per bucket generation (16 buckets,
// each its own slot, as ours) to flush. The keys of a post's variants carry
// no hash tag on the phpredis side, so its per-key loop goes to every master,
// as a cache spread over a cluster would.
// Then, for context, redis-persona on the cluster against redis-persona on
// one node (the single server of `make bench`), same operations, same run.
// Everything shares one CPU, so a call's wall time is about the CPU it costs
// the PHP process plus the CPU it costs every Redis process (master, its
// replica applying the replication stream, nodes woken by the cluster bus):
// the last two tables split each case that way (CPU time, so other load on the
// machine hardly moves it).
// Prints four Markdown tables: the two timings, then their CPU splits.
//   php cluster-bench.php SINGLE_PORT ROUNDS ITERATIONS PORT,PORT,... (cluster)
require __DIR__ . '/harness.php';
require __DIR__ . '/cpu-split.php';

[$_, $port, $rounds, $iterations, $clusterPorts] = $argv + [null, '6379', '15', '2000', ''];
$rounds = (int) $rounds;
$iterations = (int) $iterations;
$ports = array_values(array_filter(explode(',', $clusterPorts)));
if ($ports === []) {
    fwrite(STDERR, "usage: cluster-bench.php SINGLE_PORT ROUNDS ITERATIONS PORT,PORT,...\n");
    exit(2);
}

$onCluster = new RedisPersona\Client(null, [
    'cluster' => array_map(fn ($p) => "redis://127.0.0.1:$p", $ports),
    'prefix' => 'bench',
]);
$onSingle = new RedisPersona\Client("redis://127.0.0.1:$port", ['prefix' => 'bench']);
// Persistent, like the pconnect of the other benches.
$redis = new RedisCluster(null, array_map(fn ($p) => "127.0.0.1:$p", $ports), 1.0, 1.0, true);

$personas = ['family', 'solo', 'business', 'couple', 'senior', 'student', 'group', 'pet'];
$page2k = rp_page(2048, 1);
$byPersona = [];
foreach ($personas as $i => $p) {
    $byPersona[$p] = rp_page(2048, 10 + $i);
}
$ttl = 3600;
$family = range(100, 110);
$release = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * The redis-persona side of every case on one client (single node or
 * cluster): closures keyed by case, with the data they read laid out.
 */
$sideOf = function (RedisPersona\Client $client) use ($family, $byPersona, $page2k, $ttl): array {
    $cache = new RedisPersona\PersonaCache($client, ['beta' => 0]);
    $invalidator = new RedisPersona\Invalidator($client);
    $locks = new RedisPersona\SlotLock($client);
    // Run before each table: a flush in the one before made the hit a miss.
    $prime = function () use ($client, $cache, $page2k, $ttl) {
        $client->set('bench', $page2k, $ttl);
        $cache->set(1, 'family', $page2k, $ttl);
        if ($cache->get(1, 'family') !== $page2k || $client->get('bench') !== $page2k) {
            fwrite(STDERR, "cluster-bench: the cases to time as hits miss\n");
            exit(1);
        }
    };
    $prime();
    // Post 100 with 8 personas and 10 dependents (101..110), each with 8 personas.
    foreach (array_slice($family, 1) as $dependent) {
        $invalidator->dependsOn($dependent, [$family[0]]);
    }
    return [
        'client get' => fn () => $client->get('bench'),
        'client set' => fn () => $client->set('bench', $page2k, $ttl),
        'cache get' => fn () => $cache->get(1, 'family'),
        'cache set' => fn () => $cache->set(3, 'family', $page2k, $ttl),
        'lock' => fn () => $locks->release(
            '2026-12-24',
            '10:00',
            'room-1',
            $locks->acquire('2026-12-24', '10:00', 'room-1', 'guest-42', 60)['token']
        ),
        'warm' => function () use ($cache, $family, $byPersona, $ttl) {
            foreach ($family as $post) {
                $cache->warm($post, $byPersona, $ttl);
            }
        },
        'invalidate' => fn () => $invalidator->invalidatePost($family[0]),
        'flush' => fn () => $invalidator->flush(),
        'prime' => $prime,
    ];
};

$cluster = $sideOf($onCluster);
$single = $sideOf($onSingle);

$redis->setex('glue:kv:bench', $ttl, $page2k);
$redis->setex('glue:post:1:family', $ttl, $page2k);
$redis->del('glue:deps:100');
foreach (array_slice($family, 1) as $dependent) {
    $redis->sAdd('glue:deps:100', (string) $dependent);
}
$warmGlue = function () use ($redis, $family, $byPersona, $ttl) {
    foreach ($family as $post) {
        foreach ($byPersona as $p => $html) {
            $redis->setex("glue:post:$post:$p", $ttl, $html);
        }
    }
};
$glueKeys = function () use ($redis, $personas): array {
    $keys = [];
    foreach (array_merge([100], $redis->sMembers('glue:deps:100')) as $post) {
        foreach ($personas as $p) {
            $keys[] = "glue:post:$post:$p";
        }
    }
    return $keys;
};

$invalidateName = 'invalidatePost(): 8 personas + 10 dependents × 8, vs SMEMBERS + DEL per key';
$variadicName = 'invalidatePost(), vs SMEMBERS + one DEL of all 88 keys (phpredis splits it by slot)';
$flushName = 'Invalidator::flush(), vs INCR of 16 bucket generations one by one';
$flushLoopName = 'Invalidator::flush() with 88 variants cached, vs SCAN + DEL per key on every master';
$vsRedisCluster = [
    'Client::get() 2 KB hit, vs GET' => [
        $cluster['client get'],
        fn () => $redis->get('glue:kv:bench'),
    ],
    'Client::set() 2 KB with TTL, vs SETEX' => [
        $cluster['client set'],
        fn () => $redis->setex('glue:kv:bench', $ttl, $page2k),
    ],
    'PersonaCache::get() hit 2 KB, vs GET' => [
        $cluster['cache get'],
        fn () => $redis->get('glue:post:1:family'),
    ],
    'PersonaCache::set() 2 KB, vs SETEX' => [
        $cluster['cache set'],
        fn () => $redis->setex('glue:post:3:family', $ttl, $page2k),
    ],
    'SlotLock acquire + release, vs SET NX EX + EVAL compare-and-delete' => [
        $cluster['lock'],
        function () use ($redis, $release) {
            $token = bin2hex(random_bytes(16));
            $redis->set('glue:lock:2026-12-24:room-1:10:00', $token, ['nx', 'ex' => 60]);
            $redis->eval($release, ['glue:lock:2026-12-24:room-1:10:00', $token], 1);
        },
    ],
    $invalidateName => [
        'setup' => [$cluster['warm'], $warmGlue],
        'run' => [
            $cluster['invalidate'],
            function () use ($redis, $glueKeys) {
                foreach ($glueKeys() as $key) {
                    $redis->del($key);
                }
            },
        ],
    ],
    $variadicName => [
        'setup' => [$cluster['warm'], $warmGlue],
        'run' => [
            $cluster['invalidate'],
            fn () => $redis->del($glueKeys()),
        ],
    ],
    $flushName => [
        $cluster['flush'],
        function () use ($redis) {
            for ($bucket = 0; $bucket < 16; $bucket++) {
                $redis->incr(sprintf('glue:c:{b%02d}:gen', $bucket));
            }
        },
    ],
    // The per-key loop the issue names: a cache without generations flushes
    // by finding and deleting its keys, node by node.
    $flushLoopName => [
        'setup' => [$cluster['warm'], $warmGlue],
        'run' => [
            $cluster['flush'],
            function () use ($redis) {
                foreach ($redis->_masters() as $node) {
                    $it = null;
                    do {
                        $keys = $redis->scan($it, $node, 'glue:post:*', 1000);
                        foreach ($keys ?: [] as $key) {
                            $redis->del($key);
                        }
                    } while ($it > 0);
                }
            },
        ],
    ],
];
$slowCases = [
    $flushLoopName => max(20, intdiv($iterations, 20)),
    $invalidateName => max(20, intdiv($iterations, 20)),
    $variadicName => max(20, intdiv($iterations, 20)),
    $flushName => max(20, intdiv($iterations, 5)),
];
echo rp_compare($vsRedisCluster, $rounds, $iterations, $slowCases, ['redis-persona', 'RedisCluster', 'ours / RedisCluster']);

$clusterVsSingle = [
    'Client::get() 2 KB hit' => [$cluster['client get'], $single['client get']],
    'Client::set() 2 KB with TTL' => [$cluster['client set'], $single['client set']],
    'SlotLock acquire + release' => [$cluster['lock'], $single['lock']],
    'invalidatePost(): 8 personas + 10 dependents × 8' => [
        'setup' => [$cluster['warm'], $single['warm']],
        'run' => [$cluster['invalidate'], $single['invalidate']],
    ],
    'Invalidator::flush()' => [$cluster['flush'], $single['flush']],
];
echo "\n";
echo rp_compare($clusterVsSingle, $rounds, $iterations, [
    'invalidatePost(): 8 personas + 10 dependents × 8' => max(20, intdiv($iterations, 20)),
    'Invalidator::flush()' => max(20, intdiv($iterations, 5)),
], ['cluster', 'single node', 'cluster / single']);

$clusterNodes = rp_nodes($ports);
$cluster['prime']();
echo "\n";
echo rp_cpu_split($vsRedisCluster, [$clusterNodes, $clusterNodes], $iterations, $slowCases, ['redis-persona', 'RedisCluster']);
echo "\n";
echo rp_cpu_split($clusterVsSingle, [$clusterNodes, rp_nodes([$port])], $iterations, [
    'invalidatePost(): 8 personas + 10 dependents × 8' => max(20, intdiv($iterations, 20)),
    'Invalidator::flush()' => max(20, intdiv($iterations, 5)),
], ['cluster', 'single node']);
