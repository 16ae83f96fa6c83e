<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\Invalidator;
use RedisPersona\PersonaCache;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

/** Many processes at once, as on a busy PHP-FPM pool. */
final class StampedeTest extends RedisTestCase
{
    public function testSixteenProcessesMissingTogetherRenderOnce(): void
    {
        $run = PhpProcess::run(__DIR__ . '/fixtures/stampede.php', [self::$redis->target(), '16', '200', 'miss'], self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $out = json_decode($run['stdout'], true);
        $this->assertCount(1, $out['renders'], $run['stdout']);
        $winner = '<p>rendered by ' . $out['renders'][0] . '</p>';
        $this->assertCount(16, $out['results']);
        foreach ($out['results'] as $result) {
            $this->assertSame($winner, $result[0], $run['stdout']);
        }
        $statuses = array_count_values(array_column($out['results'], 1));
        $this->assertSame(1, $statuses['miss'] ?? 0, $run['stdout']);
        $this->assertSame(15, $statuses['hit'] ?? 0, $run['stdout']);
    }

    public function testAfterExpiryOneRefreshesAndTheOthersGetTheStaleHtmlAtOnce(): void
    {
        $run = PhpProcess::run(__DIR__ . '/fixtures/stampede.php', [self::$redis->target(), '8', '500', 'stale'], self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $out = json_decode($run['stdout'], true);
        $this->assertCount(1, $out['renders'], $run['stdout']);
        $winner = '<p>rendered by ' . $out['renders'][0] . '</p>';
        $fresh = array_values(array_filter($out['results'], fn ($r) => $r[1] === 'miss'));
        $stale = array_values(array_filter($out['results'], fn ($r) => $r[1] === 'stale'));
        $this->assertCount(1, $fresh, $run['stdout']);
        $this->assertSame($winner, $fresh[0][0]);
        $this->assertCount(7, $stale, $run['stdout']);
        foreach ($stale as [$html, , $took]) {
            $this->assertSame('<p>old</p>', $html);
            // They did not wait for the 500 ms render.
            $this->assertLessThan(250, $took, $run['stdout']);
        }
        $cache = new PersonaCache(self::$redis->client(['prefix' => 'stampede-stale']));
        $this->assertSame($winner, $cache->get(1, 'family'));
    }

    public function testARenderInAnotherProcessThatStartedBeforeAnEditIsNotStored(): void
    {
        $flags = sys_get_temp_dir() . '/rp-race-' . getmypid();
        @mkdir($flags);
        $client = self::$redis->client(['prefix' => 'race']);
        $invalidator = new Invalidator($client);
        $args = [self::$redis->target(), $flags];
        $child = PhpProcess::start(__DIR__ . '/fixtures/interleaved-render.php', $args, self::$redis->childIni());
        $deadline = microtime(true) + 10;
        while (!file_exists("$flags/started") && microtime(true) < $deadline) {
            usleep(2000);
        }
        $this->assertFileExists("$flags/started");
        $this->assertSame([11], $invalidator->invalidatePost(11));
        touch("$flags/invalidated");
        $result = PhpProcess::wait($child);
        array_map('unlink', glob("$flags/*") ?: []);
        rmdir($flags);
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $this->assertSame(
            ['html' => '<p>rendered before the edit</p>', 'status' => 'miss'],
            json_decode($result['stdout'], true)
        );
        $this->assertNull((new PersonaCache($client))->get(11, 'family'));
    }

    public function testRememberInsideItsOwnRenderDoesNotWaitForItsOwnLock(): void
    {
        $pc = new PersonaCache(self::$redis->client(['prefix' => 'reentry']));
        $start = microtime(true);
        $html = $pc->remember(5, 'family', fn () => 'o+' . $pc->remember(5, 'family', fn () => 'i'));
        $took = microtime(true) - $start;
        $this->assertSame('o+i', $html);
        $this->assertLessThan(1.0, $took, 'the inner call waited for the outer call\'s lock');
        $this->assertSame('miss', $pc->lastStatus(), 'the outer call rendered and stored');
        $this->assertSame('o+i', $pc->get(5, 'family'));
    }
}
