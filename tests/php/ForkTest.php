<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisServer;

/** Connections never cross a fork: 0 mismatched replies. */
final class ForkTest extends TestCase
{
    public function testForkedChildrenNeverShareTheParentsConnection(): void
    {
        $redis = new RedisServer();
        $result = PhpProcess::run(__DIR__ . '/fixtures/fork.php', [$redis->url(), '2000']);
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $this->assertSame(
            ['mismatches' => 0, 'errors' => 0, 'children' => 8, 'own_pools' => 8],
            json_decode($result['stdout'], true),
            $result['stderr']
        );
        $redis->stop();
    }
}
