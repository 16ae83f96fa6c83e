<?php

// Bootstrap of the PHP test suite: the extension must be the fresh build.
if (!extension_loaded('redis_persona')) {
    fwrite(STDERR, "redis_persona is not loaded: run the suite through `make test`.\n");
    exit(2);
}

require __DIR__ . '/Support/Admin.php';
require __DIR__ . '/Support/Topology.php';
require __DIR__ . '/Support/HashSlot.php';
require __DIR__ . '/Support/Resp.php';
require __DIR__ . '/Support/TopologyScript.php';
require __DIR__ . '/Support/ClusterAdmin.php';
require __DIR__ . '/Support/RedisCluster.php';
require __DIR__ . '/Support/RedisServer.php';
require __DIR__ . '/Support/RedisTestCase.php';
require __DIR__ . '/Support/PhpProcess.php';
require __DIR__ . '/Support/TopologyLoad.php';
require __DIR__ . '/Support/RedisSentinel.php';
require __DIR__ . '/Support/FastCgi.php';
require_once __DIR__ . '/Support/FuzzContext.php';
