<?php

namespace RedisPersona\Tests;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

/** Connections never cross a fork: 0 mismatched replies. */
final class ForkTest extends TestCase
{
    public function testForkedChildrenNeverShareTheParentsConnection(): void
    {
        $redis = RedisTestCase::topology();
        $result = PhpProcess::run(__DIR__ . '/fixtures/fork.php', [$redis->target(), '2000'], $redis->childIni());
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $this->assertSame(
            ['mismatches' => 0, 'errors' => 0, 'children' => 8, 'own_pools' => 8],
            json_decode($result['stdout'], true),
            $result['stderr']
        );
        $redis->release();
    }
}
