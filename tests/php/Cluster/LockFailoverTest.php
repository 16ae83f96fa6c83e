<?php

namespace RedisPersona\Tests\Cluster;

use PHPUnit\Framework\TestCase;
use RedisPersona\Tests\Support\HashSlot;
use RedisPersona\Tests\Support\PhpProcess;
use RedisPersona\Tests\Support\RedisCluster;
use RedisPersona\Tests\Support\Resp;

/**
 * Issue 14's guarantee under failover, tested: processes race for one
 * SlotLock slot while the master holding its hash tag fails over. A hold
 * acquired on the old master may not have reached its replica, so the
 * promoted replica can grant the slot again while the first holder still
 * believes it holds it (the known Redlock case). What must hold: every fence
 * is larger than every fence granted before its acquire was asked, so a
 * booking write that keeps the highest fence seen for the slot and refuses
 * anything not above it (README: "Fence guarantees") rejects the holder that
 * lost the slot, and never one that kept it.
 *
 * @group cluster
 */
final class LockFailoverTest extends TestCase
{
    private const TAG = '2026-12-24:room-1';

    private static RedisCluster $cluster;

    public static function setUpBeforeClass(): void
    {
        self::$cluster = new RedisCluster();
    }

    public static function tearDownAfterClass(): void
    {
        self::$cluster->stop();
    }

    protected function setUp(): void
    {
        self::$cluster->awaitInService();
    }

    public function testAKilledMasterDuringAThirtyTwoProcessRaceKeepsFencesIncreasing(): void
    {
        $victim = self::$cluster->masterOf('{' . self::TAG . '}');
        $this->assertSame(HashSlot::of('race:lk:{' . self::TAG . '}:l:10:00'), HashSlot::of('{' . self::TAG . '}'));
        $race = $this->race(['8', '32', '3']);
        usleep(2_500_000);
        $killedAt = hrtime(true);
        self::$cluster->kill($victim);
        [$holds, $errors] = $this->finish($race);
        $before = count(array_filter($holds, fn ($h) => $h['got'] < $killedAt));
        $after = count(array_filter($holds, fn ($h) => $h['asked'] > $killedAt));
        $this->assertGreaterThan(20, $before, 'holds before the failover');
        $this->assertGreaterThan(20, $after, 'holds after the failover: the race went on on the promoted replica');
        [$overlaps, $refused] = $this->assertFencesProtectTheBookings($holds);
        fwrite(STDERR, sprintf(
            "\n[cluster] 32-process lock race, killed master: %d holds (%d before, %d after), %d errors, %d overlaps, %d refused\n",
            count($holds),
            $before,
            $after,
            $errors,
            $overlaps,
            $refused
        ));
        self::$cluster->restartNode($victim);
    }

    /**
     * The Redlock case made certain: the replica's link is cut (and it cannot
     * log in again), a new holder acquires on the master (the replica never
     * sees it), and the replica takes over (CLUSTER FAILOVER TAKEOVER). The
     * promoted replica grants the slot while that holder still holds it;
     * holds granted after the failover are short, so their booking writes
     * come first, and the lost holder's write must be the one refused.
     */
    public function testALockLostInAFailoverIsOverlappedAndItsBookingIsRefused(): void
    {
        $master = self::$cluster->masterOf('{' . self::TAG . '}');
        $replica = self::$cluster->replicaOf($master);
        // The racers log in as their own user, so the master can lock out
        // its replica (which logs in as 'default') and nobody else.
        foreach (self::$cluster->ports as $port) {
            (new Resp($port))->command('ACL', 'SETUSER', 'racer', 'on', '>racer-pw', '~*', '&*', '+@all');
        }
        $seeds = array_map(fn (int $port) => "redis://racer:racer-pw@127.0.0.1:$port", self::$cluster->ports);
        $flag = tempnam(sys_get_temp_dir(), 'rp-lock-flag');
        unlink($flag);
        // Holds of 600 ms in locks of 1 s; 20 ms once the flag exists.
        $race = $this->race(['6', '32', '600', '1', $flag, '20'], ['redis_persona.cluster' => implode(',', $seeds)]);
        $admin = new Resp($master);
        $lockKey = 'race:lk:{' . self::TAG . '}:l:10:00';
        try {
            $first = $this->nextHolder($admin, $lockKey, null);
            $admin->command('ACL', 'SETUSER', 'default', 'off');
            $admin->command('CLIENT', 'KILL', 'TYPE', 'replica');
            $lost = $this->nextHolder($admin, $lockKey, $first);
            // Short holds from now on, before the takeover: a racer that
            // wins on the promoted replica must write before the lost
            // holder. (Touched after it, a test process descheduled under
            // load let a racer start a long hold there first, so the lost
            // holder wrote first and nothing was refused.) Nobody else can
            // acquire on the old master meanwhile: the lost holder holds it.
            touch($flag);
            (new Resp($replica))->command('CLUSTER', 'FAILOVER', 'TAKEOVER');
            $failedOverAt = hrtime(true);
        } finally {
            [$holds, $errors] = $this->finish($race);
            @unlink($flag);
            // $admin logged in before 'default' was switched off: it stays in.
            $admin->command('ACL', 'SETUSER', 'default', 'on');
        }
        $this->assertNotNull($lost);
        [$overlaps, $refused] = $this->assertFencesProtectTheBookings($holds);
        fwrite(STDERR, sprintf(
            "\n[cluster] lock lost in a takeover: %d holds (%d after the failover), %d errors, %d overlaps, %d bookings refused\n",
            count($holds),
            count(array_filter($holds, fn ($h) => $h['asked'] > $failedOverAt)),
            $errors,
            $overlaps,
            $refused
        ));
        $this->assertGreaterThanOrEqual(1, $overlaps, 'the promoted replica granted the lost lock again');
        $this->assertGreaterThanOrEqual(1, $refused, "the lost holder's booking was refused by its fence");
    }

    /** Waits until the lock key holds a token other than $previous; returns it. */
    private function nextHolder(Resp $admin, string $key, ?string $previous): string
    {
        $deadline = microtime(true) + 5;
        while (microtime(true) < $deadline) {
            $token = $admin->command('GET', $key);
            if ($token !== null && $token !== $previous) {
                return (string) $token;
            }
            usleep(2000);
        }
        $this->fail('nobody acquired the slot within 5 s');
    }

    /**
     * @param list<string> $args
     * @param array<string, string> $ini
     * @return array{process: resource, pipes: array<int, resource>}
     */
    private function race(array $args, array $ini = []): array
    {
        return PhpProcess::start(
            __DIR__ . '/../fixtures/lock-failover-race.php',
            $args,
            $ini + self::$cluster->childIni() + ['redis_persona.log_level' => 'off']
        );
    }

    /**
     * @param array{process: resource, pipes: array<int, resource>} $race
     * @return array{0: list<array{c: int, fence: int, asked: int, got: int, wrote: int, released: ?bool}>, 1: int}
     */
    private function finish(array $race): array
    {
        $run = PhpProcess::wait($race);
        $this->assertSame(0, $run['exit'], $run['stderr']);
        $children = json_decode($run['stdout'], true);
        $this->assertIsArray($children, $run['stdout']);
        $this->assertNotContains(null, $children, 'a racer died');
        $holds = [];
        $errors = 0;
        foreach ($children as $c => $child) {
            $errors += $child['errors'];
            foreach ($child['holds'] as [$fence, $asked, $got, $wrote, $released]) {
                $holds[] = compact('c', 'fence', 'asked', 'got', 'wrote', 'released');
            }
        }
        return [$holds, $errors];
    }

    /**
     * @param list<array{c: int, fence: int, asked: int, got: int, wrote: int, released: ?bool}> $holds
     * @return array{0: int, 1: int} overlaps, bookings refused
     */
    private function assertFencesProtectTheBookings(array $holds): array
    {
        // 1. Fences only go up over time: a hold asked after another was
        //    granted has a larger fence.
        usort($holds, fn ($a, $b) => $a['got'] <=> $b['got']);
        $byAsked = $holds;
        usort($byAsked, fn ($a, $b) => $a['asked'] <=> $b['asked']);
        $highest = -1;
        $i = 0;
        foreach ($byAsked as $hold) {
            while ($i < count($holds) && $holds[$i]['got'] < $hold['asked']) {
                $highest = max($highest, $holds[$i]['fence']);
                $i++;
            }
            $this->assertGreaterThan($highest, $hold['fence'], 'a fence not above one granted earlier: ' . json_encode($hold));
        }

        // 2. Overlaps: a hold granted while another holder had not yet
        //    written (the first lock was lost in the failover). The later
        //    holder has the larger fence, and the first one's release finds
        //    its lock gone.
        $overlaps = 0;
        foreach ($holds as $k => $first) {
            for ($j = $k + 1; $j < count($holds) && $holds[$j]['got'] < $first['wrote']; $j++) {
                $overlaps++;
                $this->assertGreaterThan($first['fence'], $holds[$j]['fence'], 'the later holder of an overlap has the larger fence');
                $this->assertNotTrue($first['released'], 'a holder that was overlapped still found its lock');
            }
        }

        // 3. The booking writes, in the order they happened, against a table
        //    that keeps the slot's highest fence: a write is refused only when
        //    its holder lost the slot.
        $writes = $holds;
        usort($writes, fn ($a, $b) => $a['wrote'] <=> $b['wrote']);
        $highest = -1;
        $refused = 0;
        foreach ($writes as $write) {
            if ($write['fence'] > $highest) {
                $highest = $write['fence'];
                continue;
            }
            $refused++;
            $this->assertNotTrue($write['released'], 'a booking refused for a holder that kept its lock');
        }
        return [$overlaps, $refused];
    }
}
