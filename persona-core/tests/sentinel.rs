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
