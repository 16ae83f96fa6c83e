//! One round trip per booking operation, the function library reloaded
//! when the server lost it, and the rate limiter's stored form.

mod support;

use std::sync::Arc;

use persona_core::{Identity, Name, Otp, OtpConfig, RateLimiter, SlotLock};
use support::{client, RedisServer, SLOT};

/// Top-level commands the server ran since the last `CONFIG RESETSTAT`
/// (commands run inside functions are counted too, under their own names).
fn commands_run(server: &RedisServer) -> Vec<(String, u64)> {
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut server.admin())
        .unwrap();
    stats
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(":calls=")?;
            Some((name.to_owned(), rest.split(',').next()?.parse().ok()?))
        })
        .filter(|(name, _)| name != "info" && name != "config|resetstat")
        .collect()
}

fn reset_stats(server: &RedisServer) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(&mut server.admin())
        .unwrap();
}

#[test]
fn verify_issue_attempt_and_lock_steps_are_one_round_trip_each() {
    let server = RedisServer::start();
    let c = client(&server, "rt");
    let otp = Otp::new(
        Arc::clone(&c),
        b"0123456789abcdef-secret",
        OtpConfig::build(&[]).unwrap(),
    )
    .unwrap();
    let zoe = Identity::parse("identity", b"zoe@example.org").unwrap();
    let code = otp.issue(&zoe).unwrap();
    reset_stats(&server);
    assert!(otp.verify(&zoe, code.as_bytes()).unwrap());
    let run = commands_run(&server);
    assert!(run.contains(&("fcall".to_owned(), 1)), "{run:?}");
    assert!(
        !run.iter().any(|(name, _)| name.starts_with("eval")),
        "{run:?}"
    );

    let limiter =
        RateLimiter::new(Arc::clone(&c), &Name::parse("name", b"rt").unwrap(), 5, 60).unwrap();
    let locks = SlotLock::new(Arc::clone(&c), 600);
    reset_stats(&server);
    assert!(limiter.attempt(b"k").unwrap().allowed);
    let a = locks.acquire(&SLOT, "guest", 60, 0).unwrap().expect("free");
    assert!(locks.release(&SLOT, &a.token).unwrap());
    let run = commands_run(&server);
    assert!(run.contains(&("fcall".to_owned(), 3)), "{run:?}");
    // No TIME in the rate limiter: PTTL gives tat - now.
    assert!(run.contains(&("time".to_owned(), 1)), "{run:?}");
}

#[test]
fn a_server_that_lost_the_functions_gets_them_again() {
    let server = RedisServer::start();
    let c = client(&server, "fl");
    let limiter =
        RateLimiter::new(Arc::clone(&c), &Name::parse("name", b"fl").unwrap(), 2, 60).unwrap();
    assert_eq!(limiter.attempt(b"k").unwrap().remaining, 1);
    redis::cmd("FUNCTION")
        .arg("FLUSH")
        .query::<()>(&mut server.admin())
        .unwrap();
    assert_eq!(
        limiter.attempt(b"k").unwrap().remaining,
        0,
        "state kept, library reloaded"
    );
    assert!(!limiter.attempt(b"k").unwrap().allowed);
}

#[test]
fn an_older_rate_limit_key_carries_over_by_its_ttl() {
    let server = RedisServer::start();
    let c = client(&server, "of");
    // 3 per minute (T = 20 s, whole ms) and 7 per second (T = 142.86 ms).
    for (limit, window) in [(3, 60), (7, 1)] {
        let name = format!("of{limit}");
        let limiter = RateLimiter::new(
            Arc::clone(&c),
            &Name::parse("name", name.as_bytes()).unwrap(),
            limit,
            window,
        )
        .unwrap();
        assert_eq!(limiter.attempt(b"k").unwrap().remaining, limit as u64 - 1);
        let mut admin = server.admin();
        let (_, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg(format!("of:rl:{name}:*"))
            .arg("COUNT")
            .arg(1000)
            .query(&mut admin)
            .unwrap();
        assert_eq!(keys.len(), 1);
        // The former "tat ms:ticks" text, its TTL tat - now: a full bucket.
        redis::cmd("SET")
            .arg(&keys[0])
            .arg("1795991589347:12")
            .arg("PX")
            .arg(window * 1000)
            .query::<()>(&mut admin)
            .unwrap();
        let refused = limiter.attempt(b"k").unwrap();
        assert!(!refused.allowed, "{limit}/{window}s");
        // Once the key expired, a full burst again.
        redis::cmd("PEXPIRE")
            .arg(&keys[0])
            .arg(1)
            .query::<()>(&mut admin)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(limiter.attempt(b"k").unwrap().remaining, limit as u64 - 1);
    }
}

#[test]
fn a_lock_taken_by_an_older_version_bare_token_is_released_with_its_holder() {
    let server = RedisServer::start();
    let c = client(&server, "ol");
    let locks = SlotLock::new(Arc::clone(&c), 600);
    let mut admin = server.admin();
    let token = "0123456789abcdef0123456789abcdef";
    let holder = r#"{"owner":"old","fence":7,"expires_at_ms":9}"#;
    redis::cmd("SET")
        .arg("ol:lk:{2026-12-24:room-1}:l:10:30")
        .arg(token)
        .arg("PX")
        .arg(60_000)
        .query::<()>(&mut admin)
        .unwrap();
    redis::cmd("HSET")
        .arg("ol:lk:{2026-12-24:room-1}:idx")
        .arg("10:30")
        .arg(holder)
        .query::<()>(&mut admin)
        .unwrap();
    let mut sub = server.admin();
    let mut pubsub = sub.as_pubsub();
    pubsub
        .subscribe("ol:lk:{2026-12-24:room-1}:events")
        .unwrap();
    pubsub
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    assert!(
        locks.acquire(&SLOT, "new", 60, 0).unwrap().is_none(),
        "held"
    );
    assert_eq!(locks.holder(&SLOT).unwrap().expect("listed").owner, "old");
    assert!(locks.extend(&SLOT, token, 120).unwrap().is_some());
    assert!(locks.release(&SLOT, token).unwrap());
    let mut events = Vec::new();
    for _ in 0..2 {
        let payload: String = pubsub.get_message().unwrap().get_payload().unwrap();
        events.push(serde_json::from_str::<serde_json::Value>(&payload).unwrap());
    }
    assert_eq!(events[0]["event"], "extended");
    assert_eq!(events[1]["event"], "released");
    assert_eq!(events[1]["owner"], "old");
    assert_eq!(events[1]["fence"], 7);
    assert_eq!(events[1]["time"], "10:30");
    assert!(
        locks.acquire(&SLOT, "new", 60, 0).unwrap().is_some(),
        "free again"
    );
}
