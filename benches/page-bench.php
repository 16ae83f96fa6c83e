<?php

// PageCache against phpredis doing the least a page cache can do: GET of the
// same bytes stored under one key (raw, or gzip-compressed by PHP), SETEX to
// store. Ours also checks the generation, the invalidation stamps and the
// lease in the same round trip, and returns status, headers, tags and posts.
require __DIR__ . '/harness.php';

[$_, $port, $rounds, $iterations] = $argv + [null, '6379', '15', '2000'];
$port = (int) $port;
$client = new RedisPersona\Client("redis://127.0.0.1:$port", ['prefix' => 'bench']);
$pages = new RedisPersona\PageCache($client, ['ttl' => 3600]);
$redis = new Redis();
$redis->pconnect('127.0.0.1', $port);

$url = 'https://example.test/2026/11/a-typical-post/';
$html = rp_page(40 * 1024, 3);
$gz = gzencode($html, 6);
$headers = ['Content-Type' => 'text/html; charset=UTF-8', 'Link' => '<https://example.test/?p=42>; rel=shortlink'];
$posts = [42, 7, 9];
$tags = ['term-3', 'author-2', 'date-2026-11'];
$pages->flush();
$miss = $pages->fetch($url, 'family');
if (!$pages->store($url, 'family', $miss['fence'], 200, $headers, $html, $posts, $tags)) {
    fwrite(STDERR, "page-bench: the page was not stored\n");
    exit(1);
}
$redis->setex('glue:page:raw', 3600, $html);
$redis->setex('glue:page:gz', 3600, $gz);
$check = $pages->fetch($url, 'family', true);
if ($check['state'] !== 'hit' || $check['encoding'] !== 'gzip' || gzdecode($check['body']) !== $html) {
    fwrite(STDERR, "page-bench: the stored page does not read back\n");
    exit(1);
}

$fence = null;
// By reference: the fence comes from the untimed setup before each call.
$storeIt = function () use ($pages, $headers, $html, $posts, $tags, &$fence) {
    return $pages->store('https://example.test/stored/', 'family', $fence, 200, $headers, $html, $posts, $tags);
};
$cases = [
    'fetch() hit, 40 KB page, gzip client (stored gzip bytes) vs GET of gzip bytes' => [
        fn () => $pages->fetch($url, 'family', true),
        fn () => $redis->get('glue:page:gz'),
    ],
    'fetch() hit, 40 KB page, plain client (gunzipped) vs GET of raw bytes' => [
        fn () => $pages->fetch($url, 'family', false),
        fn () => $redis->get('glue:page:raw'),
    ],
    'fetch() hit, 40 KB page, plain client vs GET of gzip bytes + gzdecode()' => [
        fn () => $pages->fetch($url, 'family', false),
        fn () => gzdecode($redis->get('glue:page:gz')),
    ],
    'store() 40 KB page (gzip once, indexes) vs SETEX of raw bytes' => [
        'setup' => [function () use ($pages, &$fence) {
            $fence = $pages->fetch('https://example.test/stored/', 'family')['fence'];
        }, null],
        'run' => [
            $storeIt,
            fn () => $redis->setex('glue:page:stored', 3600, $html),
        ],
    ],
    'store() 40 KB page vs gzencode() + SETEX' => [
        'setup' => [function () use ($pages, &$fence) {
            $fence = $pages->fetch('https://example.test/stored/', 'family')['fence'];
        }, null],
        'run' => [
            $storeIt,
            fn () => $redis->setex('glue:page:stored', 3600, gzencode($html, 6)),
        ],
    ],
];

$store = max(50, intdiv((int) $iterations, 4));
echo rp_compare($cases, (int) $rounds, (int) $iterations, [
    'store() 40 KB page (gzip once, indexes) vs SETEX of raw bytes' => $store,
    'store() 40 KB page vs gzencode() + SETEX' => $store,
]);
printf("\nStored: %d bytes raw, %d bytes gzip (%.1fx).\n", strlen($html), strlen($check['body']), strlen($html) / strlen($check['body']));
