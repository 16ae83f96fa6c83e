<?php

// A tour of RedisPersona\Client, run by `make demo` with the installed
// extension. Phase "up": Redis running; "down": Redis stopped; "back": restarted.
[$_, $phase, $url] = $argv + [null, 'up', 'redis://127.0.0.1:6379'];

$client = new RedisPersona\Client($url, ['retry_interval_ms' => 500]);
$ms = fn (float $seconds) => sprintf('%.3f ms', $seconds * 1000);

switch ($phase) {
    case 'up':
        printf("redis_persona %s loaded; prefix '%s'\n", phpversion('redis_persona'), $client->prefix());
        printf("ping: %.3f ms\n", $client->ping());
        $client->set('demo:greeting', "Hello, families\0and solo travellers", 60);
        printf("set/get round trip (binary-safe): %s\n", json_encode(bin2hex((string) $client->get('demo:greeting'))));
        $start = microtime(true);
        for ($i = 0; $i < 1000; $i++) {
            new RedisPersona\Client($url);
        }
        printf("1000 x new Client(): %s each (no I/O: the pool is per process)\n", $ms((microtime(true) - $start) / 1000));
        $h = $client->health();
        printf(
            "health: %s, Redis %s (%s), memory %d KiB, pool pid %d with %d connection(s), breaker %s\n",
            $h['status'],
            $h['server_version'],
            $h['mode'],
            intdiv($h['memory']['used'], 1024),
            $h['pool']['pid'],
            $h['pool']['connections_created'],
            $h['breaker']['state']
        );
        break;
    case 'down':
        printf("isAvailable(): %s\n", var_export($client->isAvailable(), true));
        for ($i = 1; $i <= 3; $i++) {
            $start = microtime(true);
            try {
                $client->ping();
            } catch (RedisPersona\ConnectionException $e) {
                printf("call %d failed in %s with %s:\n    %s\n", $i, $ms(microtime(true) - $start), get_class($e), $e->getMessage());
            }
        }
        echo "health: ", json_encode(array_intersect_key($client->health(), ['status' => 1, 'breaker' => 1])), "\n";
        break;
    case 'back':
        printf("isAvailable() after restart: %s; ping %.3f ms\n", var_export($client->isAvailable(), true), $client->ping());
        break;
}
