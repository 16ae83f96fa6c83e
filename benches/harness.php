<?php

// Shared by the benchmark scripts: runs each case's two contenders in
// interleaved rounds (so both see the same machine state) and prints a
// Markdown table of medians and ratios. A case is either [ours, theirs]
// (each a closure timed in a loop) or ['setup' => [s1, s2], 'run' => [r1, r2]]
// where setup runs untimed before every timed call.

function rp_median(array $xs): float
{
    sort($xs);
    return $xs[intdiv(count($xs), 2)];
}

/** Microseconds per call of $run, $setup running untimed before each call. */
function rp_time(callable $run, ?callable $setup, int $iterations): float
{
    if ($setup === null) {
        $start = hrtime(true);
        for ($i = 0; $i < $iterations; $i++) {
            $run();
        }
        return (hrtime(true) - $start) / $iterations / 1000;
    }
    $spent = 0;
    for ($i = 0; $i < $iterations; $i++) {
        $setup();
        $start = hrtime(true);
        $run();
        $spent += hrtime(true) - $start;
    }
    return $spent / $iterations / 1000;
}

/**
 * @param array<string, array> $cases
 * @param array<string, int> $iterationsByCase overrides $iterations per case
 * @param array{0: string, 1: string, 2: string} $labels the two contenders'
 *        column names and the ratio's
 */
function rp_compare(
    array $cases,
    int $rounds,
    int $iterations,
    array $iterationsByCase = [],
    array $labels = ['redis-persona', 'phpredis', 'ours / phpredis'],
): string {
    $rows = [];
    foreach ($cases as $name => $case) {
        $run = $case['run'] ?? $case;
        $setup = $case['setup'] ?? [null, null];
        $n = $iterationsByCase[$name] ?? $iterations;
        for ($side = 0; $side < 2; $side++) {
            rp_time($run[$side], $setup[$side], max(10, intdiv($n, 10)));
        }
        $samples = [[], []];
        for ($r = 0; $r < $rounds; $r++) {
            for ($side = 0; $side < 2; $side++) {
                $samples[$side][] = rp_time($run[$side], $setup[$side], $n);
            }
        }
        $rows[] = [$name, rp_median($samples[0]), rp_median($samples[1])];
    }
    $out = sprintf("| operation | %s µs/op | %s µs/op | ratio (%s) |\n", ...$labels);
    $out .= "|---|---:|---:|---:|\n";
    foreach ($rows as [$name, $ours, $theirs]) {
        $out .= sprintf("| %s | %.2f | %.2f | %.2f |\n", $name, $ours, $theirs, $ours / $theirs);
    }
    return $out;
}

/** HTML that compresses like a real page (not a repeated string). */
function rp_page(int $bytes, int $seed = 1): string
{
    mt_srand($seed);
    $words = ['family', 'pool', 'room', 'breakfast', 'suite', 'view', 'booking', 'kids', 'club', 'quiet',
        'business', 'desk', 'wifi', 'transfer', 'airport', 'spa', 'terrace', 'garden', 'dinner', 'late'];
    $tags = ['p', 'li', 'span', 'h3', 'td'];
    $html = '';
    while (strlen($html) < $bytes) {
        $tag = $tags[mt_rand(0, count($tags) - 1)];
        $n = mt_rand(4, 14);
        $text = [];
        for ($i = 0; $i < $n; $i++) {
            $text[] = $words[mt_rand(0, count($words) - 1)];
        }
        $html .= sprintf('<%s class="c%d" data-id="%d">%s</%s>', $tag, mt_rand(1, 40), mt_rand(1, 99999), implode(' ', $text), $tag);
    }
    return substr($html, 0, $bytes);
}
