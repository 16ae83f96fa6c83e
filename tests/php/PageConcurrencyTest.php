<?php

namespace RedisPersona\Tests;

use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

/** PageCache across processes at once, as on a busy PHP-FPM pool. */
final class PageConcurrencyTest extends RedisTestCase
{
    private function stampede(string $mode, int $children, int $renderMs, int $waitMs): array
    {
        $args = [self::$redis->target(), (string) $children, (string) $renderMs, $mode, (string) $waitMs];
        $run = PhpProcess::run(__DIR__ . '/fixtures/page-stampede.php', $args, self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $results = json_decode($run['stdout'], true)['results'];
        $this->assertCount($children, $results);
        $this->assertNotContains(null, $results, 'a child died: ' . $run['stdout']);
        return $results;
    }

    public function testTwelveProcessesMissingTogetherRenderOnceAndTheOthersGetItsPage(): void
    {
        $results = $this->stampede('miss', 12, 300, 2000);
        $renderers = array_values(array_filter($results, fn ($r) => $r[1] === true));
        $this->assertCount(1, $renderers, json_encode($results));
        $this->assertSame('miss', $renderers[0][0]);
        $bodies = [];
        foreach ($results as [$state, $render, $body, $took]) {
            if ($render) {
                continue;
            }
            $this->assertSame('hit', $state, json_encode($results));
            $bodies[] = $body;
            $this->assertGreaterThan(250, $took, 'waited for the render');
        }
        $this->assertCount(1, array_unique($bodies));
        $this->assertStringStartsWith('<p>rendered by ', $bodies[0]);
    }

    public function testWaitersGiveUpAfterWaitMsAndRenderWithoutTheLease(): void
    {
        $results = $this->stampede('slow', 6, 1000, 150);
        $renderers = array_values(array_filter($results, fn ($r) => $r[1] === true));
        $this->assertCount(1, $renderers, json_encode($results));
        foreach ($results as [$state, $render, , $took]) {
            if (!$render) {
                $this->assertSame('miss', $state);
                $this->assertGreaterThanOrEqual(140, $took);
                $this->assertLessThan(900, $took, 'did not wait for the 1 s render');
            }
        }
    }

    public function testAfterTheTtlOneProcessRefreshesAndTheOthersServeStaleAtOnce(): void
    {
        $results = $this->stampede('stale', 8, 400, 2000);
        $states = array_map(fn ($r) => $r[0] . ($r[1] ? '+render' : ''), $results);
        sort($states);
        $this->assertSame(['stale', 'stale', 'stale', 'stale', 'stale', 'stale', 'stale', 'stale+render'], $states);
        foreach ($results as [, $render, $body, $took]) {
            $this->assertSame('<p>old</p>', $body);
            if (!$render) {
                $this->assertLessThan(200, $took, 'no wait for the refresh');
            }
        }
    }
}
