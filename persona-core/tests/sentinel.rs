//! Sentinel against real servers: the master is discovered, a killed master
//! is followed to the promoted replica without a restart, and a client that
//! reads from replicas still writes to the master.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use persona_core::{CacheConfig, Client, ClientConfig, Defaults, Key, OptionValue, PersonaCache};
use support::topologies::RedisSentinel;
use support::{persona, pid};

fn sentinel_client(setup: &RedisSentinel, replicas: bool) -> Arc<Client> {
    sentinel_client_with(setup, replicas, 500)
}

/// A different read timeout makes a client with its own pools and its own
/// view of the master (what another PHP worker would have).
fn sentinel_client_with(
    setup: &RedisSentinel,
    replicas: bool,
    read_timeout_ms: i64,
) -> Arc<Client> {
    let sentinels = setup.ports[3..]
        .iter()
        .map(|p| OptionValue::Str(format!("redis://127.0.0.1:{p}").into_bytes()))
        .collect();
    let options = vec![
        ("sentinel".to_string(), OptionValue::List(sentinels)),
        (
            "service".to_string(),
            OptionValue::Str(b"rp-master".to_vec()),
        ),
        ("prefix".to_string(), OptionValue::Str(b"sn".to_vec())),
        (
            "read_from_replicas".to_string(),
            OptionValue::Bool(replicas),
        ),
        (
            "read_timeout_ms".to_string(),
            OptionValue::Int(read_timeout_ms),
        ),
    ];
    let config = ClientConfig::build(None, &options, &Defaults::default()).expect("config");
    Arc::new(Client::new(config).expect("client"))
}

#[test]
fn a_killed_master_is_followed_to_the_promoted_replica() {
    let setup = RedisSentinel::start("failover");
    let client = sentinel_client(&setup, true);
    let key = Key::parse("key", b"k").unwrap();
    client.set_value(&key, b"before", 600).unwrap();
    let master = format!("127.0.0.1:{}", setup.ports[0]);
    let topology = client.health().topology;
    assert_eq!(topology.mode, "sentinel");
    assert_eq!(topology.service.as_deref(), Some("rp-master"));
    assert_eq!(topology.answered_by.as_deref(), Some(master.as_str()));
    assert_eq!(
        topology
            .nodes
            .iter()
            .filter(|n| n.role == "sentinel")
            .count(),
        3
    );

    // Cache reads may go to a replica; writes still reach the master.
    let cache = PersonaCache::new(Arc::clone(&client), CacheConfig::build(&[]).unwrap());
    assert!(cache.set(pid(3), &persona("family"), b"html", 600).unwrap());
    let deadline = Instant::now() + Duration::from_secs(2);
    while cache.get(pid(3), &persona("family")).unwrap().is_none() {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(10));
    }

    unsafe {
        libc::kill(setup.pid_of(setup.ports[0]), libc::SIGKILL);
    }
    let killed = Instant::now();
    let mut errors = 0;
    let recovered = loop {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "no failover after 30 s"
        );
        match client.set_value(&key, b"after", 600) {
            Ok(()) => break killed.elapsed(),
            Err(e) => {
                assert!(e.is_unavailable(), "{e}");
                errors += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    assert_eq!(
        client.get_value(&key).unwrap().as_deref(),
        Some(&b"after"[..])
    );
    let topology = client.health().topology;
    assert!(topology.failovers >= 1, "{topology:?}");
    assert_ne!(topology.answered_by.as_deref(), Some(master.as_str()));
    eprintln!("master replaced after {recovered:?}, {errors} failed calls meanwhile");
}

#[test]
fn a_demoted_master_answering_readonly_is_a_failover_not_an_error() {
    let setup = RedisSentinel::start("demoted");
    let client = sentinel_client(&setup, false);
    let key = Key::parse("key", b"k").unwrap();
    client.set_value(&key, b"before", 600).unwrap();
    // Another worker's view: it found the master before the failover too.
    let other = sentinel_client_with(&setup, false, 3000);
    let other_key = Key::parse("key", b"other").unwrap();
    other.set_value(&other_key, b"x", 600).unwrap();
    let old = format!("127.0.0.1:{}", setup.ports[0]);
    assert_eq!(
        client.health().topology.answered_by.as_deref(),
        Some(old.as_str())
    );

    // A graceful failover: the old master stays up and becomes a replica, so
    // this process's pooled connection to it now gets READONLY for writes.
    let sentinel = format!("redis://127.0.0.1:{}", setup.ports[3]);
    let mut admin = redis::Client::open(sentinel.as_str())
        .and_then(|c| c.get_connection())
        .unwrap();
    redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg("rp-master")
        .query::<()>(&mut admin)
        .unwrap();
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(20), "no failover");
        let role: redis::Value = redis::cmd("ROLE")
            .query(
                &mut redis::Client::open(format!("redis://{old}"))
                    .unwrap()
                    .get_connection()
                    .unwrap(),
            )
            .unwrap();
        if format!("{role:?}").contains("slave") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // The other worker's pooled connection died with the demotion; a read
    // reconnects to the old master (a replica now, which serves reads). Its
    // next write there is answered READONLY: nothing ran, so the client asks
    // the sentinels again and sends it to the new master, with no error.
    other.get_value(&other_key).unwrap();
    other
        .set_value(&other_key, b"y", 600)
        .expect("READONLY is followed to the new master");
    assert!(other.health().topology.failovers >= 1);
    let mut errors = 0;
    loop {
        match client.set_value(&key, b"after", 600) {
            Ok(()) => break,
            Err(e) => {
                // Only while the sentinels still name the old master.
                errors += 1;
                assert!(errors < 400, "{e}");
            }
        }
    }
    assert_eq!(
        client.get_value(&key).unwrap().as_deref(),
        Some(&b"after"[..])
    );
    let topology = client.health().topology;
    assert!(topology.failovers >= 1, "{topology:?}");
    assert_ne!(topology.answered_by.as_deref(), Some(old.as_str()));
    eprintln!("demoted master followed; {errors} failed writes meanwhile");
}
