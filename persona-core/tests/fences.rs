//! Slot fences against a real redis-server: one strictly increasing sequence
//! per slot across the database fallback, lost or rewound Redis data and a
//! caller's floor, and no fence state left behind once the clock passed it.

mod support;

use std::time::Duration;

use persona_core::clock::now_ms;
use persona_core::slot;
use persona_core::SlotLock;
use persona_core::SlotRef;
use support::{client, slot_ref, RedisServer, SLOT};

/// One hold: acquire, then release at once; returns the fence.
fn hold(locks: &SlotLock, slot: &SlotRef, min_fence: u64) -> u64 {
    let lock = locks
        .acquire(slot, "guest", 60, min_fence)
        .unwrap()
        .expect("free slot");
    assert!(locks.release(slot, &lock.token).unwrap());
    lock.fence
}

/// One hold of the `i`-th slot of the day (`i` minutes after midnight).
fn hold_at(locks: &SlotLock, i: usize) -> u64 {
    let time = format!("{:02}:{:02}", i / 60, i % 60);
    hold(locks, &slot_ref("2026-12-24", &time, "room-1"), 0)
}

/// What the WordPress fallback issues: max(last fence + 1, its clock in ms).
fn fallback_fence(last: u64) -> u64 {
    (last + 1).max(now_ms())
}

fn redis_ms(admin: &mut redis::Connection) -> u64 {
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(admin).unwrap();
    secs * 1000 + micros / 1000
}

fn keys_under(admin: &mut redis::Connection, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query(admin)
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

#[test]
fn fences_only_go_up_across_the_fallback_and_lost_or_rewound_data() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "f1"), 600);
    let mut admin = server.admin();
    let fence_key = "f1:lk:{2026-12-24:room-1}:f:10:30";

    let first = hold(&locks, &SLOT, 0);
    std::thread::sleep(Duration::from_millis(3));
    let fallback = fallback_fence(first);
    std::thread::sleep(Duration::from_millis(3));
    let back = hold(&locks, &SLOT, 0);
    assert!(back > fallback, "Redis {back} after fallback {fallback}");

    // A restart from an older snapshot: the stored state goes back. (Holds
    // a millisecond or more apart, as the README's guarantee assumes.)
    let mut fences = vec![back];
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(2));
        fences.push(hold(&locks, &SLOT, 0));
    }
    redis::cmd("SET")
        .arg(fence_key)
        .arg(first)
        .query::<()>(&mut admin)
        .unwrap();
    std::thread::sleep(Duration::from_millis(2));
    fences.push(hold(&locks, &SLOT, 0));

    // A restart without persistence: everything is gone.
    while redis_ms(&mut admin) <= *fences.last().unwrap() {
        std::thread::sleep(Duration::from_millis(1));
    }
    redis::cmd("FLUSHALL").query::<()>(&mut admin).unwrap();
    fences.push(hold(&locks, &SLOT, 0));
    assert!(
        fences.windows(2).all(|w| w[0] < w[1]),
        "fences went back: {fences:?}"
    );
}

#[test]
fn a_callers_floor_is_honoured_and_remembered() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "f2"), 600);
    let clock = hold(&locks, &SLOT, 0);
    let floor = clock + 10_000_000;
    assert_eq!(hold(&locks, &SLOT, floor), floor);
    assert_eq!(hold(&locks, &SLOT, 0), floor + 1, "the floor was forgotten");
    let holder = locks.acquire(&SLOT, "x", 60, 5).unwrap().unwrap();
    assert_eq!(holder.fence, floor + 2);
    assert_eq!(locks.holder(&SLOT).unwrap().unwrap().fence, floor + 2);

    assert!(slot::validate_min_fence("minFence", -1).is_err());
    assert!(slot::validate_min_fence("minFence", slot::MAX_MIN_FENCE as i64 + 1).is_err());
    assert_eq!(
        slot::validate_min_fence("minFence", slot::MAX_MIN_FENCE as i64).unwrap(),
        slot::MAX_MIN_FENCE
    );
}

#[test]
fn released_slots_leave_no_keys_and_fences_still_increase() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "f3"), 600);
    let mut admin = server.admin();
    let first: Vec<u64> = (0..1000).map(|i| hold_at(&locks, i)).collect();
    let highest = *first.iter().max().unwrap();
    while redis_ms(&mut admin) <= highest + 5 {
        std::thread::sleep(Duration::from_millis(2));
    }
    let left = keys_under(&mut admin, "f3");
    assert!(
        left.is_empty(),
        "{} keys left: {:?}",
        left.len(),
        &left[..left.len().min(5)]
    );

    for (i, before) in first.iter().enumerate().step_by(97) {
        let again = hold_at(&locks, i);
        assert!(again > *before, "slot {i}: {again} <= {before}");
    }
    // Many holds of one slot within a millisecond still get distinct fences.
    let burst: Vec<u64> = (0..200).map(|_| hold(&locks, &SLOT, 0)).collect();
    assert!(burst.windows(2).all(|w| w[0] < w[1]), "{burst:?}");
}
