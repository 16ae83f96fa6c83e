<?php

namespace RedisPersona\Tests\Support;

/**
 * Runs fixtures/cluster-load.php (forked readers and writers that check
 * every answer) against a cluster or a Sentinel setup while a test disturbs
 * it, and sums what the children saw.
 */
final class TopologyLoad
{
    /** @var array{process: resource, pipes: array<int, resource>} */
    private array $handle;
    public float $startedAt;

    /** @param array<string, string> $ini the topology's childIni() */
    public function __construct(array $ini, float $seconds, int $children, string $what, int $timeoutMs = 500)
    {
        $this->startedAt = microtime(true);
        $this->handle = PhpProcess::start(
            __DIR__ . '/../fixtures/cluster-load.php',
            [(string) $seconds, (string) $children, $what, (string) $timeoutMs],
            $ini + ['redis_persona.log_level' => 'off']
        );
    }

    /**
     * Waits for the children; returns their summaries and the totals.
     *
     * @return array{children: list<array<string, mixed>>, total: array<string, int>,
     *     last_error: ?float, first_error: ?float, stderr: string}
     */
    public function finish(): array
    {
        $run = PhpProcess::wait($this->handle);
        $children = json_decode($run['stdout'], true);
        if ($run['exit'] !== 0 || !is_array($children) || in_array(null, $children, true)) {
            throw new \RuntimeException("the load died (exit {$run['exit']}): {$run['stdout']} {$run['stderr']}");
        }
        $total = [];
        $first = null;
        $last = null;
        foreach ($children as $child) {
            foreach (['ops', 'errors', 'unexpected', 'stale', 'wrong', 'lost_locks', 'still_held'] as $field) {
                $total[$field] = ($total[$field] ?? 0) + $child[$field];
            }
            if ($child['first_error'] !== null) {
                $first = min($first ?? INF, $child['first_error']);
            }
            if ($child['last_error'] !== null) {
                $last = max($last ?? 0, $child['last_error']);
            }
        }
        return ['children' => $children, 'total' => $total, 'first_error' => $first, 'last_error' => $last, 'stderr' => $run['stderr']];
    }

    /** @param array{children: list<array<string, mixed>>} $result */
    public static function describe(array $result): string
    {
        return json_encode(
            ['total' => $result['total'], 'samples' => array_merge(...array_column($result['children'], 'samples'))],
            JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
        ) ?: '';
    }
}
