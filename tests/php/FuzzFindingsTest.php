<?php

namespace RedisPersona\Tests;

use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

/**
 * Bugs the hostile-input fuzz (FuzzTest) found, each kept as a plain
 * regression test so it stays easy to find and fails until it is fixed.
 */
final class FuzzFindingsTest extends RedisTestCase
{
    /**
     * Found by FuzzTest (seed 20261129): an array key that is not UTF-8
     * ("\xff") in an array argument makes ext-php-rs's array iterator panic
     * ("Invalid array key!"). The panic reaches PHP as \Error "Rust panic:
     * Invalid array key!" and prints a backtrace on stderr. Expected: a
     * \ValueError naming the argument (for options the usual "unknown
     * option"; for the keys of a list of ids or tags, ignoring them is also
     * fine), and nothing on stderr.
     */
    public function testFuzzFindingNonUtf8ArrayKeyIsAValueErrorNotARustPanic(): void
    {
        $ini = ['redis_persona.log_level' => 'off'] + self::$redis->childIni();
        $result = PhpProcess::run(__DIR__ . '/fixtures/fuzz-findings.php', [self::$redis->target()], $ini);
        $this->assertSame(0, $result['exit'], $result['stderr']);
        $outcomes = json_decode($result['stdout'], true);
        $this->assertIsArray($outcomes, $result['stdout']);
        $this->assertCount(8, $outcomes);
        $arguments = [
            'Client options' => 'options', 'Client nested option value' => 'options', 'PersonaCache options' => 'options',
            'SlotLock options' => 'options', 'Otp options' => 'options', 'Invalidator::tag tags' => 'tags',
            'Invalidator::dependsOn onPostIds' => 'onPostIds', 'PersonaCache::warm htmlByPersona' => 'htmlByPersona',
        ];
        foreach ($outcomes as $name => $outcome) {
            // Keys of a list of ids or tags carry no meaning: ignoring them is fine too.
            if ($outcome === 'accepted' && in_array($arguments[$name], ['tags', 'onPostIds'], true)) {
                continue;
            }
            $this->assertStringStartsWith('ValueError: ', $outcome, $name);
            $this->assertStringContainsString($arguments[$name], $outcome, $name);
        }
        $this->assertSame('', $result['stderr'], 'a Rust panic printed its backtrace');
    }
}
