<?php

namespace RedisPersona\Tests;

use RedisPersona\Client;
use RedisPersona\SlotLock;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisTestCase;

final class SlotLockTest extends RedisTestCase
{
    private function locks(string $prefix): SlotLock
    {
        return new SlotLock(self::$redis->client(['prefix' => $prefix]));
    }

    public function testThirtyTwoProcessesRacingGetExactlyOneWinnerPerRound(): void
    {
        $run = PhpProcess::run(__DIR__ . '/fixtures/race.php', ['slot', self::$redis->target(), '32', '50'], self::$redis->childIni());
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $wins = array_merge(...json_decode($run['stdout'], true));
        sort($wins);
        $this->assertSame(range(0, 49), $wins, 'each round must have exactly one winner');
    }

    public function testOnlyTheTokenReleasesOrExtendsAndFencesIncrease(): void
    {
        $locks = $this->locks('sl1');
        $a = $locks->acquire('2026-12-24', '09:00', 'room-1', 'guest-a');
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $a['token']);
        $this->assertIsInt($a['fence']);
        $this->assertEqualsWithDelta(microtime(true) + 600, $a['expires_at'], 5);
        $this->assertNull($locks->acquire('2026-12-24', '09:00', 'room-1', 'guest-b'));
        $this->assertFalse($locks->release('2026-12-24', '09:00', 'room-1', str_repeat('0', 32)));
        $this->assertFalse($locks->extend('2026-12-24', '09:00', 'room-1', strrev($a['token']), 60));
        $this->assertFalse($locks->release('2026-12-24', '09:00', 'room-2', $a['token']), 'token of another slot');
        $this->assertSame('guest-a', $locks->holder('2026-12-24', '09:00', 'room-1')['owner']);
        $this->assertTrue($locks->extend('2026-12-24', '09:00', 'room-1', $a['token'], 30));
        $this->assertLessThanOrEqual(30000, $locks->holder('2026-12-24', '09:00', 'room-1')['remaining_ms']);
        $this->assertTrue($locks->release('2026-12-24', '09:00', 'room-1', $a['token']));
        $this->assertNull($locks->holder('2026-12-24', '09:00', 'room-1'));
        $b = $locks->acquire('2026-12-24', '09:00', 'room-1', 'guest-b');
        $this->assertGreaterThan($a['fence'], $b['fence']);
    }

    public function testExpiredLocksAreNeverListedAndStaleTokensFail(): void
    {
        $locks = $this->locks('sl2');
        $old = $locks->acquire('2026-12-24', '10:00', 'room-1', 'a', 1);
        $locks->acquire('2026-12-24', '11:00', 'room-1', 'b', 60);
        $locks->acquire('2026-12-24', '09:30', 'room-1', 'c', 60);
        $locks->acquire('2026-12-25', '10:00', 'room-1', 'other day', 60);
        $this->assertSame(['09:30', '10:00', '11:00'], array_column($locks->locked('2026-12-24', 'room-1'), 'time'));
        usleep(1_100_000);
        $held = $locks->locked('2026-12-24', 'room-1');
        $this->assertSame(['09:30', '11:00'], array_column($held, 'time'));
        $this->assertSame('c', $held[0]['owner']);
        $this->assertGreaterThan(50000, $held[0]['remaining_ms']);
        $new = $locks->acquire('2026-12-24', '10:00', 'room-1', 'd');
        $this->assertGreaterThan($old['fence'], $new['fence']);
        $this->assertFalse($locks->release('2026-12-24', '10:00', 'room-1', $old['token']));
        $this->assertFalse($locks->extend('2026-12-24', '10:00', 'room-1', $old['token'], 60));
        $this->assertSame('d', $locks->holder('2026-12-24', '10:00', 'room-1')['owner']);
    }

    /** One hold: acquire, then release at once; returns the fence. */
    private static function hold(SlotLock $locks, string $time, int $minFence = 0): int
    {
        $lock = $locks->acquire('2026-12-24', $time, 'room-1', 'guest', 60, $minFence);
        self::assertNotNull($lock, "slot $time is free");
        self::assertTrue($locks->release('2026-12-24', $time, 'room-1', $lock['token']));
        return $lock['fence'];
    }

    private static function redisMs(): int
    {
        [$seconds, $micros] = self::$redis->admin()->command('TIME');
        return (int) $seconds * 1000 + intdiv((int) $micros, 1000);
    }

    public function testFencesOnlyGoUpAcrossTheFallbackDataLossAndAFloor(): void
    {
        $locks = $this->locks('sl5');
        $fences = [self::hold($locks, '12:00')];
        usleep(3000);
        // What the WordPress fallback issues: max(last fence + 1, its clock in ms).
        $fences[] = max(end($fences) + 1, (int) floor(microtime(true) * 1000));
        usleep(3000);
        $fences[] = self::hold($locks, '12:00');
        $this->assertGreaterThan($fences[1], $fences[2], 'a Redis fence after a fallback fence');
        while (self::redisMs() <= end($fences)) {
            usleep(1000);
        }
        self::$redis->admin()->command('FLUSHALL');
        $fences[] = self::hold($locks, '12:00');
        $floor = end($fences) + 5_000_000;
        $fences[] = self::hold($locks, '12:00', $floor);
        $this->assertSame($floor, end($fences));
        $fences[] = self::hold($locks, '12:00');
        $sorted = $fences;
        sort($sorted);
        $this->assertSame($sorted, array_values(array_unique($fences)), 'fences went back: ' . json_encode($fences));
    }

    public function testReleasedSlotsLeaveNoKeysBehind(): void
    {
        $locks = $this->locks('sl6');
        $fences = [];
        for ($i = 0; $i < 1000; $i++) {
            $fences[$i] = self::hold($locks, sprintf('%02d:%02d', intdiv($i, 60), $i % 60));
        }
        while (self::redisMs() <= max($fences) + 5) {
            usleep(2000);
        }
        [$cursor, $keys] = self::$redis->admin()->command('SCAN', '0', 'MATCH', 'sl6:*', 'COUNT', '100000');
        $this->assertSame(['0', []], [$cursor, $keys]);
        $this->assertGreaterThan($fences[999], self::hold($locks, '16:39'), 'fences still increase');
    }

    public function testEventsArePublishedOnTheSlotsChannel(): void
    {
        $locks = $this->locks('sl3');
        $sub = self::$redis->admin();
        $sub->command('SUBSCRIBE', 'sl3:lk:{2026-12-24:room-9}:events');
        $a = $locks->acquire('2026-12-24', '08:15', 'room-9', 'guest');
        $locks->extend('2026-12-24', '08:15', 'room-9', $a['token'], 60);
        $locks->release('2026-12-24', '08:15', 'room-9', $a['token']);
        $events = [];
        for ($i = 0; $i < 3; $i++) {
            $message = $sub->command();
            $events[] = json_decode($message[2], true);
        }
        $this->assertSame(['acquired', 'extended', 'released'], array_column($events, 'event'));
        $this->assertSame('08:15', $events[0]['time']);
        $this->assertSame('room-9', $events[0]['resource']);
        $this->assertSame($a['fence'], $events[0]['fence']);
    }

    public function testBadInputIsAValueErrorAndTouchesNothing(): void
    {
        $locks = $this->locks('sl4');
        $cases = [
            'date' => fn () => $locks->acquire('2026-02-30', '10:00', 'r', 'o'),
            'time' => fn () => $locks->acquire('2026-12-24', '24:00', 'r', 'o'),
            'resource' => fn () => $locks->acquire('2026-12-24', '10:00', 'room:*', 'o'),
            'owner' => fn () => $locks->acquire('2026-12-24', '10:00', 'r', str_repeat('o', 201)),
            'ttl' => fn () => $locks->acquire('2026-12-24', '10:00', 'r', 'o', 86401),
            'minFence' => fn () => $locks->acquire('2026-12-24', '10:00', 'r', 'o', null, -1),
            'token' => fn () => $locks->release('2026-12-24', '10:00', 'r', "\0\n"),
        ];
        $this->assertEachRefusesItsArgument($cases);
        $this->expectException(\ValueError::class);
        new SlotLock(self::$redis->client(), ['ttl' => 0.5]);
    }
}
