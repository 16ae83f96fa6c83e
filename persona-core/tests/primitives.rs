//! Slot locks, one-time codes and rate limits against a real redis-server.

mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use persona_core::{Error, Identity, Name, Otp, OtpConfig, RateLimiter, SlotLock};
use support::{client, slot_ref, RedisServer, SLOT};

#[test]
fn one_holder_per_slot_and_only_the_token_releases() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "s1"), 600);
    let mut sub = server.admin();
    let mut pubsub = sub.as_pubsub();
    pubsub
        .subscribe("s1:lk:{2026-12-24:room-1}:events")
        .unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();

    let a = locks
        .acquire(&SLOT, "guest-a", 60, 0)
        .unwrap()
        .expect("free slot");
    assert_eq!(a.token.len(), 32);
    assert!(locks.acquire(&SLOT, "guest-b", 60, 0).unwrap().is_none());
    assert!(!locks
        .release(&SLOT, "0123456789abcdef0123456789abcdef")
        .unwrap());
    assert!(locks.extend(&SLOT, "wrong", 120).unwrap().is_none());
    let holder = locks.holder(&SLOT).unwrap().expect("held");
    assert_eq!((holder.owner.as_str(), holder.fence), ("guest-a", a.fence));
    assert!(locks.extend(&SLOT, &a.token, 120).unwrap().is_some());
    assert_eq!(locks.locked(SLOT.date(), SLOT.resource()).unwrap().len(), 1);
    assert!(locks.release(&SLOT, &a.token).unwrap());
    assert!(!locks.release(&SLOT, &a.token).unwrap(), "released twice");
    let b = locks
        .acquire(&SLOT, "guest-b", 60, 0)
        .unwrap()
        .expect("free again");
    assert!(b.fence > a.fence);

    let events: Vec<serde_json::Value> = (0..4)
        .map(|_| {
            serde_json::from_str(
                &pubsub
                    .get_message()
                    .unwrap()
                    .get_payload::<String>()
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acquired", "extended", "released", "acquired"]);
    assert_eq!(events[0]["owner"], "guest-a");
    assert_eq!(events[0]["time"], "10:30");
    assert_eq!(events[3]["fence"].as_u64(), Some(b.fence));
}

#[test]
fn expired_locks_are_never_listed_and_fences_keep_increasing() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "s2"), 600);
    let first = locks.acquire(&SLOT, "a", 1, 0).unwrap().unwrap();
    let other = slot_ref("2026-12-24", "11:00", "room-1");
    locks.acquire(&other, "b", 60, 0).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let listed = locks.locked(SLOT.date(), SLOT.resource()).unwrap();
    assert_eq!(
        listed.iter().map(|h| h.time.as_str()).collect::<Vec<_>>(),
        ["11:00"]
    );
    assert!(locks.holder(&SLOT).unwrap().is_none());
    // A stale token after expiry and re-acquire by someone else fails.
    let second = locks.acquire(&SLOT, "c", 60, 0).unwrap().unwrap();
    assert!(second.fence > first.fence);
    assert!(!locks.release(&SLOT, &first.token).unwrap());
    assert!(locks.extend(&SLOT, &first.token, 60).unwrap().is_none());
    // Even when the fence state itself is gone, the next fence is larger
    // (for holds at least a millisecond apart: fences follow the clock).
    std::thread::sleep(Duration::from_millis(2));
    let mut admin = server.admin();
    redis::cmd("DEL")
        .arg("s2:lk:{2026-12-24:room-1}:f:10:30")
        .query::<()>(&mut admin)
        .unwrap();
    locks.release(&SLOT, &second.token).unwrap();
    let third = locks.acquire(&SLOT, "d", 60, 0).unwrap().unwrap();
    assert!(
        third.fence > second.fence,
        "{} <= {}",
        third.fence,
        second.fence
    );
}

#[test]
fn racing_threads_get_exactly_one_winner_per_round() {
    let server = RedisServer::start();
    let c = client(&server, "s3");
    for round in 0..20 {
        let barrier = Arc::new(Barrier::new(16));
        let winners: usize = (0..16)
            .map(|i| {
                let c = Arc::clone(&c);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let locks = SlotLock::new(c, 600);
                    let time = format!("{:02}:00", round);
                    barrier.wait();
                    let slot = slot_ref("2026-12-24", &time, "race");
                    usize::from(
                        locks
                            .acquire(&slot, &format!("t{i}"), 60, 0)
                            .unwrap()
                            .is_some(),
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(winners, 1, "round {round}");
    }
}

#[test]
fn otp_codes_verify_once_burn_after_attempts_and_rate_limit() {
    let server = RedisServer::start();
    let c = client(&server, "o1");
    let config = OtpConfig::build(&[]).unwrap();
    let otp = Otp::new(Arc::clone(&c), b"0123456789abcdef-secret", config).unwrap();
    let code = otp
        .issue(&Identity::parse("identity", b"zoe@example.org").unwrap())
        .unwrap();
    assert_eq!(code.len(), 6);
    assert!(otp
        .verify(
            &Identity::parse("identity", b"zoe@example.org").unwrap(),
            code.as_bytes()
        )
        .unwrap());
    assert!(
        !otp.verify(
            &Identity::parse("identity", b"zoe@example.org").unwrap(),
            code.as_bytes()
        )
        .unwrap(),
        "replayed"
    );

    let code = otp
        .issue(&Identity::parse("identity", b"zoe@example.org").unwrap())
        .unwrap();
    for _ in 0..5 {
        assert!(!otp
            .verify(
                &Identity::parse("identity", b"zoe@example.org").unwrap(),
                b"000000x"
            )
            .unwrap());
    }
    assert!(
        !otp.verify(
            &Identity::parse("identity", b"zoe@example.org").unwrap(),
            code.as_bytes()
        )
        .unwrap(),
        "burnt code accepted"
    );

    otp.issue(&Identity::parse("identity", b"zoe@example.org").unwrap())
        .unwrap();
    // GCRA: a burst of 3, then one every 600 s / 3.
    match otp.issue(&Identity::parse("identity", b"zoe@example.org").unwrap()) {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Duration::from_secs(200));
        }
        other => panic!("{other:?}"),
    }
    assert!(Otp::new(c, b"short", OtpConfig::build(&[]).unwrap()).is_err());
}

#[test]
fn rate_limiter_is_exact_under_concurrency() {
    let server = RedisServer::start();
    let c = client(&server, "r1");
    let barrier = Arc::new(Barrier::new(16));
    let allowed: usize = (0..16)
        .map(|_| {
            let c = Arc::clone(&c);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let limiter =
                    RateLimiter::new(c, &Name::parse("name", b"login").unwrap(), 25, 60).unwrap();
                barrier.wait();
                (0..10)
                    .filter(|_| limiter.attempt(b"203.0.113.9").unwrap().allowed)
                    .count()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .sum();
    assert_eq!(allowed, 25);
    let limiter = RateLimiter::new(c, &Name::parse("name", b"login").unwrap(), 25, 60).unwrap();
    let refused = limiter.attempt(b"203.0.113.9").unwrap();
    assert!(!refused.allowed);
    // A burst of 25, then one every 60 s / 25 = 2.4 s: retry in ceil(2.4 - elapsed).
    assert!(
        (1..=3).contains(&refused.retry_after.as_secs()),
        "{:?}",
        refused.retry_after
    );
    limiter.reset(b"203.0.113.9").unwrap();
    let again = limiter.attempt(b"203.0.113.9").unwrap();
    assert_eq!((again.allowed, again.remaining), (true, 24));
}

#[test]
fn racing_verifies_of_the_right_code_have_exactly_one_winner() {
    let server = RedisServer::start();
    let c = client(&server, "o2");
    let secret = b"0123456789abcdef-secret";
    for round in 0..20 {
        let code = Otp::new(Arc::clone(&c), secret, OtpConfig::build(&[]).unwrap())
            .unwrap()
            .issue(
                &Identity::parse("identity", format!("guest-{round}@example.org").as_bytes())
                    .unwrap(),
            )
            .unwrap();
        let barrier = Arc::new(Barrier::new(16));
        let winners: usize = (0..16)
            .map(|_| {
                let (c, barrier, code) = (Arc::clone(&c), Arc::clone(&barrier), code.clone());
                std::thread::spawn(move || {
                    let otp = Otp::new(c, secret, OtpConfig::build(&[]).unwrap()).unwrap();
                    barrier.wait();
                    let identity = Identity::parse(
                        "identity",
                        format!("guest-{round}@example.org").as_bytes(),
                    )
                    .unwrap();
                    usize::from(otp.verify(&identity, code.as_bytes()).unwrap())
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(winners, 1, "round {round}");
    }
}

/// The one key the limiter `name` keeps for a caller (its name is a hash).
fn limiter_key(server: &RedisServer, prefix: &str) -> String {
    let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg(format!("{prefix}:rl:*"))
        .arg("COUNT")
        .arg(1000)
        .query(&mut server.admin())
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].clone()
}

#[test]
fn rate_limiter_memory_stays_constant_per_key() {
    let server = RedisServer::start();
    let limiter = RateLimiter::new(
        client(&server, "r2"),
        &Name::parse("name", b"big").unwrap(),
        100_000,
        3600,
    )
    .unwrap();
    assert!(limiter.attempt(b"198.51.100.1").unwrap().allowed);
    let key = limiter_key(&server, "r2");
    let usage = |server: &RedisServer| -> u64 {
        redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(&key)
            .query(&mut server.admin())
            .unwrap()
    };
    let before = usage(&server);
    for _ in 0..3000 {
        assert!(limiter.attempt(b"198.51.100.1").unwrap().allowed);
    }
    let after = usage(&server);
    assert!(
        after <= before + 8 && after < 200,
        "{before} -> {after} bytes"
    );
    // 3002 taken; a few came back while the test ran (one per 36 ms).
    let last = limiter.attempt(b"198.51.100.1").unwrap();
    assert!((100_000 - 3002..100_000 - 2900).contains(&last.remaining));
}

#[test]
fn rate_limiter_is_a_burst_then_one_per_emission_interval() {
    let server = RedisServer::start();
    // T = 2 s / 4 = 500 ms.
    let limiter = RateLimiter::new(
        client(&server, "r3"),
        &Name::parse("name", b"gcra").unwrap(),
        4,
        2,
    )
    .unwrap();
    let remaining: Vec<u64> = (0..4)
        .map(|_| limiter.attempt(b"k").unwrap())
        .inspect(|d| assert!(d.allowed && d.retry_after.is_zero()))
        .map(|d| d.remaining)
        .collect();
    assert_eq!(remaining, [3, 2, 1, 0]);
    let refused = limiter.attempt(b"k").unwrap();
    assert_eq!(
        (refused.allowed, refused.remaining, refused.retry_after),
        (false, 0, Duration::from_secs(1))
    );
    // Refusals are not counted: one emission interval later, one more.
    std::thread::sleep(Duration::from_millis(520));
    let next = limiter.attempt(b"k").unwrap();
    assert_eq!((next.allowed, next.remaining), (true, 0));
    assert!(!limiter.attempt(b"k").unwrap().allowed);
    // The key expires when the bucket is empty again (PX = tat - now).
    let key = limiter_key(&server, "r3");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query(&mut server.admin())
        .unwrap();
    assert!((1500..=2000).contains(&ttl), "{ttl}");

    // A long window's retry_after is whole seconds, rounded up.
    let slow = RateLimiter::new(
        client(&server, "r4"),
        &Name::parse("name", b"slow").unwrap(),
        2,
        3600,
    )
    .unwrap();
    slow.attempt(b"k").unwrap();
    slow.attempt(b"k").unwrap();
    assert_eq!(
        slow.attempt(b"k").unwrap().retry_after,
        Duration::from_secs(1800)
    );
    // A sorted set left by an older version counts as no state.
    let old = limiter_key(&server, "r4");
    let mut admin = server.admin();
    redis::cmd("DEL").arg(&old).query::<()>(&mut admin).unwrap();
    redis::cmd("ZADD")
        .arg(&old)
        .arg(1)
        .arg("x")
        .query::<()>(&mut admin)
        .unwrap();
    assert_eq!(slow.attempt(b"k").unwrap().remaining, 1);
}

#[test]
fn the_core_checks_what_it_is_handed_not_only_the_php_wrapper() {
    let server = RedisServer::start();
    let locks = SlotLock::new(client(&server, "s9"), 600);
    let refused = |result: persona_core::Result<_>, argument: &str| match result {
        Err(Error::InvalidArgument { argument: a, .. }) => assert_eq!(a, argument),
        other => panic!("{argument}: expected a refusal, got {other:?}"),
    };
    refused(locks.acquire(&SLOT, "g", 0, 0).map(|_| ()), "ttl");
    refused(locks.acquire(&SLOT, "g", u64::MAX, 0).map(|_| ()), "ttl");
    refused(
        locks.acquire(&SLOT, &"o".repeat(10_000), 60, 0).map(|_| ()),
        "owner",
    );
    refused(
        locks.acquire(&SLOT, "g", 60, u64::MAX).map(|_| ()),
        "minFence",
    );
    refused(locks.release(&SLOT, "").map(|_| ()), "token");
    refused(locks.extend(&SLOT, "bad token\n", 60).map(|_| ()), "token");
    let held = locks.acquire(&SLOT, "g", 60, 0).unwrap().expect("free");
    refused(
        locks.extend(&SLOT, &held.token, u64::MAX).map(|_| ()),
        "ttl",
    );
}
