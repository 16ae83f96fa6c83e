<?php

/**
 * Booking throughput and latency over HTTP against a private site
 * (benches/booking-bench.sh starts it): prints one Markdown table row.
 *
 *   php booking-bench.php SITE_URL IDENTITY IDENTITY_TOKEN MODE
 *
 * - sequential: one client holds and confirms distinct slots, one after the
 *   other; p50 of each step, and what confirming adds over holding;
 * - throughput: 8 clients in parallel, each holding then confirming its own
 *   slots (holds + confirmations per second);
 * - hot slot: 16 clients race for one slot (the winner confirms), repeated
 *   on fresh slots; p99 of every request of the race.
 * Rate limits are lifted by the sandbox's X-RP-Test-Rate-Limit header, and
 * each client has its own address, so the numbers are the work itself.
 */

declare(strict_types=1);

require __DIR__ . '/../tests/wp/Support/Http.php';

use RedisPersona\WpTests\Support\Http;

[, $site, $identity, $identity_token, $mode] = $argv;
$rounds = (int) (getenv('BENCH_BOOKINGS') ?: 120);
$api = $site . '/wp-json/redis-persona/v1/';
$run = bin2hex(random_bytes(3));

$options = static fn (string $ip, array $body): array
    => ['method' => 'POST', 'body' => $body, 'headers' => ['X-RP-Test-IP' => $ip, 'X-RP-Test-Rate-Limit' => 'off']];
$percentile = static function (array $values, float $p): float {
    sort($values);
    return $values === [] ? 0.0 : $values[(int) min(count($values) - 1, floor($p * count($values)))] * 1000;
};
// The n-th distinct slot of a run: days 2..81 ahead, 96 quarter hours, a resource per client.
$slot_of = static function (string $run, int $client, int $n): array {
    $day = gmdate('Y-m-d', time() + (2 + intdiv($n, 96) % 80) * 86400);
    return ['date' => $day, 'time' => sprintf('%02d:%02d', intdiv($n % 96, 4), ($n % 4) * 15), 'resource' => "bench-$run-$client"];
};
$confirm_body = static fn (array $slot, ?array $hold): array
    => $slot + ['token' => (string) ($hold['json']['token'] ?? ''), 'identity' => $identity, 'identity_token' => $identity_token];

// Warm-up: opcache, connections, tables.
for ($i = 0; $i < 10; $i++) {
    $slot = $slot_of("w$run", 0, $i);
    $hold = Http::request($api . 'slots/lock', $options('10.200.0.1', $slot));
    Http::request($api . 'bookings', $options('10.200.0.1', $confirm_body($slot, $hold)));
}

// Sequential: the latency of each step.
$holds = [];
$confirms = [];
$errors = 0;
for ($i = 0; $i < $rounds; $i++) {
    $slot = $slot_of($run, 0, $i);
    $hold = Http::request($api . 'slots/lock', $options('10.200.0.2', $slot));
    $confirm = Http::request($api . 'bookings', $options('10.200.0.2', $confirm_body($slot, $hold)));
    $errors += (int) ($hold['status'] !== 201) + (int) ($confirm['status'] !== 201);
    $holds[] = $hold['time'];
    $confirms[] = $confirm['time'];
}

// Throughput: 8 clients, each on its own slots; a round is 8 holds, then 8 confirmations.
$clients = 8;
$started = microtime(true);
$requests = 0;
for ($i = 0; $i < intdiv($rounds, 2); $i++) {
    $batch = [];
    for ($c = 1; $c <= $clients; $c++) {
        $batch[$c] = $slot_of($run, $c, $i);
        $lock[$c] = [$api . 'slots/lock', $options("10.201.0.$c", $batch[$c])];
    }
    $held = Http::parallel(array_values($lock));
    $confirm = [];
    foreach (array_values($batch) as $k => $slot) {
        $confirm[] = [$api . 'bookings', $options('10.201.0.' . ($k + 1), $confirm_body($slot, $held[$k]))];
    }
    foreach (array_merge($held, Http::parallel($confirm)) as $response) {
        $errors += (int) ($response['status'] !== 201);
    }
    $requests += 2 * $clients;
}
$per_second = $requests / (microtime(true) - $started);

// Hot slot: 16 clients race for one slot, the winner confirms.
$race = [];
$won = 0;
for ($i = 0; $i < intdiv($rounds, 4); $i++) {
    $slot = $slot_of($run, 99, $i);
    $lock = [];
    for ($c = 1; $c <= 16; $c++) {
        $lock[] = [$api . 'slots/lock', $options("10.202.0.$c", $slot)];
    }
    foreach (Http::parallel($lock) as $k => $response) {
        $race[] = $response['time'];
        if ($response['status'] === 201) {
            $won++;
            $confirm = Http::request($api . 'bookings', $options('10.202.0.' . ($k + 1), $confirm_body($slot, $response)));
            $race[] = $confirm['time'];
            $errors += (int) ($confirm['status'] !== 201);
        }
    }
}

printf(
    "| %s | %.0f | %.1f | %.1f | %+.1f | %.1f | %d/%d | %d |\n",
    $mode,
    $per_second,
    $percentile($holds, 0.5),
    $percentile($confirms, 0.5),
    $percentile($confirms, 0.5) - $percentile($holds, 0.5),
    $percentile($race, 0.99),
    $won,
    intdiv($rounds, 4),
    $errors
);
