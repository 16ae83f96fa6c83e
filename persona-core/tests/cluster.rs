//! Every feature against a real Redis Cluster (3 masters, 3 replicas): slot
//! routing, multi-slot batches as one pipeline per master, a migrated slot
//! followed after MOVED, per-node breakers and a killed master's failover.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use persona_core::{
    CacheConfig, Client, ClientConfig, Defaults, Identity, Invalidator, Name, OptionValue, Otp,
    OtpConfig, PersonaCache, RateLimiter, SlotLock,
};
use support::topologies::RedisCluster;
use support::{persona, pid, SLOT};

fn cluster_client(
    cluster: &RedisCluster,
    prefix: &str,
    extra: &[(&str, OptionValue)],
) -> Arc<Client> {
    let mut options = vec![
        (
            "cluster".to_string(),
            OptionValue::List(vec![OptionValue::Str(cluster.seed().into_bytes())]),
        ),
        (
            "prefix".to_string(),
            OptionValue::Str(prefix.as_bytes().to_vec()),
        ),
        ("read_timeout_ms".to_string(), OptionValue::Int(2000)),
        ("probe_timeout_ms".to_string(), OptionValue::Int(2000)),
    ];
    options.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let config = ClientConfig::build(None, &options, &Defaults::default()).expect("config");
    Arc::new(Client::new(config).expect("client"))
}

fn reads(cluster: &RedisCluster, ports: &[u16]) -> u64 {
    ports
        .iter()
        .map(|p| cluster.info_field(*p, "stats", "total_reads_processed"))
        .sum()
}

#[test]
fn every_feature_works_and_multi_slot_work_is_one_pipeline_per_master() {
    let cluster = RedisCluster::start("features");
    let client = cluster_client(&cluster, "cl", &[]);
    let cache = PersonaCache::new(Arc::clone(&client), CacheConfig::build(&[]).unwrap());
    let family = persona("family");
    // Posts spread over all 16 buckets, so over all three masters.
    for post in 1..=48 {
        assert!(cache
            .set(pid(post), &family, format!("body {post}").as_bytes(), 60)
            .unwrap());
    }
    for post in 1..=48 {
        assert_eq!(
            cache.get(pid(post), &family).unwrap().as_deref(),
            Some(format!("body {post}").as_bytes())
        );
    }
    let invalidator = Invalidator::new(Arc::clone(&client));
    invalidator.depends_on(pid(7), &[pid(8), pid(9)]).unwrap();
    let done = invalidator.invalidate_post(pid(9)).unwrap();
    assert_eq!(
        done.posts,
        vec![9, 7],
        "the dependent in another bucket is reached"
    );
    assert!(cache.get(pid(7), &family).unwrap().is_none());
    assert!(cache.get(pid(9), &family).unwrap().is_none());
    assert!(cache.get(pid(8), &family).unwrap().is_some());

    // The 16-bucket flush of both tiers: one pipeline per master.
    let masters = cluster.masters();
    assert_eq!(masters.len(), 3);
    invalidator.flush().unwrap(); // loads the scripts on every master
                                  // What measuring costs (INFO on fresh admin connections), to subtract.
    let start = reads(&cluster, &masters);
    let idle = reads(&cluster, &masters) - start;
    let before = reads(&cluster, &masters);
    invalidator.flush().unwrap();
    let spent = reads(&cluster, &masters) - before - idle;
    // One pipeline per master, plus the invalidation log's own write.
    assert!(
        spent <= 4,
        "flush took {spent} reads on the masters, expected one per master"
    );
    for post in [1, 2, 3, 8, 48] {
        assert!(
            cache.get(pid(post), &family).unwrap().is_none(),
            "post {post} survived the flush"
        );
    }

    let locks = SlotLock::new(Arc::clone(&client), 600);
    let first = locks
        .acquire(&SLOT, "alice", 60, 0)
        .unwrap()
        .expect("free slot");
    assert!(locks.acquire(&SLOT, "bob", 60, 0).unwrap().is_none());
    assert!(locks.release(&SLOT, &first.token).unwrap());
    let second = locks
        .acquire(&SLOT, "bob", 60, 0)
        .unwrap()
        .expect("released");
    assert!(second.fence > first.fence);

    let otp = Otp::new(
        Arc::clone(&client),
        b"0123456789abcdef-secret",
        OtpConfig::build(&[]).unwrap(),
    )
    .unwrap();
    let zoe = Identity::parse("identity", b"zoe@example.org").unwrap();
    let code = otp.issue(&zoe).unwrap();
    assert!(otp.verify(&zoe, code.as_bytes()).unwrap());

    let limiter = RateLimiter::new(
        Arc::clone(&client),
        &Name::parse("name", b"cl").unwrap(),
        2,
        60,
    )
    .unwrap();
    assert!(limiter.attempt(b"k").unwrap().allowed);
    assert!(limiter.attempt(b"k").unwrap().allowed);
    assert!(!limiter.attempt(b"k").unwrap().allowed);

    // Pools: lazily opened, at most pool_size (2) per node.
    let topology = client.health().topology;
    assert_eq!(topology.mode, "cluster");
    assert_eq!(
        topology.nodes.iter().filter(|n| n.role == "master").count(),
        3
    );
    assert_eq!(
        topology
            .nodes
            .iter()
            .filter(|n| n.role == "replica")
            .count(),
        3
    );
    for node in &topology.nodes {
        assert!(node.connections <= 2, "{node:?}");
        if node.role == "replica" {
            assert_eq!(node.connections, 0, "replicas are not read from by default");
        }
    }

    // purge() walks every master and leaves nothing of the prefix.
    assert!(client.purge().unwrap() > 0);
    for port in cluster.masters() {
        let keys: Vec<String> = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg("cl:*")
            .arg("COUNT")
            .arg(10_000)
            .query::<(u64, Vec<String>)>(&mut cluster.admin(port))
            .unwrap()
            .1;
        assert!(keys.is_empty(), "{port} kept {keys:?}");
    }
}

#[test]
fn a_migrated_slot_is_followed_and_a_killed_master_is_replaced() {
    let cluster = RedisCluster::start("topology");
    let client = cluster_client(&cluster, "mv", &[]);
    let key = persona_core::Key::parse("key", b"moving").unwrap();
    client.set_value(&key, b"before", 60).unwrap();
    let stored_as = "mv:kv:moving";
    let from = cluster.master_of(stored_as);
    let to = *cluster.masters().iter().find(|p| **p != from).unwrap();

    // Move the key's slot by hand (what redis-cli --cluster reshard does).
    let slot: u16 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(stored_as)
        .query(&mut cluster.admin(from))
        .unwrap();
    let id = |port: u16| -> String {
        redis::cmd("CLUSTER")
            .arg("MYID")
            .query(&mut cluster.admin(port))
            .unwrap()
    };
    let (from_id, to_id) = (id(from), id(to));
    redis::cmd("CLUSTER")
        .arg("SETSLOT")
        .arg(slot)
        .arg("IMPORTING")
        .arg(&from_id)
        .query::<()>(&mut cluster.admin(to))
        .unwrap();
    redis::cmd("CLUSTER")
        .arg("SETSLOT")
        .arg(slot)
        .arg("MIGRATING")
        .arg(&to_id)
        .query::<()>(&mut cluster.admin(from))
        .unwrap();
    redis::cmd("MIGRATE")
        .arg("127.0.0.1")
        .arg(to)
        .arg("")
        .arg(0)
        .arg(5000)
        .arg("KEYS")
        .arg(stored_as)
        .query::<()>(&mut cluster.admin(from))
        .unwrap();
    // Mid-migration: the key lives on the target, the source answers ASK.
    assert_eq!(
        client.get_value(&key).unwrap().as_deref(),
        Some(&b"before"[..])
    );
    for port in cluster.masters() {
        redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(slot)
            .arg("NODE")
            .arg(&to_id)
            .query::<()>(&mut cluster.admin(port))
            .unwrap();
    }
    let refreshes = client.health().topology.refreshes;
    client.set_value(&key, b"after", 60).unwrap();
    assert_eq!(
        client.get_value(&key).unwrap().as_deref(),
        Some(&b"after"[..])
    );
    assert!(
        client.health().topology.refreshes > refreshes,
        "MOVED refreshed the map"
    );

    // Kill the master of another key; the rest keep serving at once.
    let victim_key = (0..200)
        .map(|i| format!("k{i}"))
        .find(|k| cluster.master_of(&format!("mv:kv:{k}")) != to)
        .unwrap();
    let victim = cluster.master_of(&format!("mv:kv:{victim_key}"));
    let safe_key = (0..200)
        .map(|i| format!("s{i}"))
        .find(|k| cluster.master_of(&format!("mv:kv:{k}")) != victim)
        .unwrap();
    let victim_key = persona_core::Key::parse("key", victim_key.as_bytes()).unwrap();
    let safe_key = persona_core::Key::parse("key", safe_key.as_bytes()).unwrap();
    client.set_value(&victim_key, b"v", 600).unwrap();
    unsafe {
        libc::kill(cluster.pid_of(victim), libc::SIGKILL);
    }
    let killed = Instant::now();
    let mut errors = 0;
    let mut recovered = None;
    while killed.elapsed() < Duration::from_secs(15) {
        // Another master's keys: never an error.
        client
            .set_value(&safe_key, b"fine", 60)
            .expect("other masters keep serving");
        match client.set_value(&victim_key, b"w", 600) {
            Ok(()) => {
                recovered = Some(killed.elapsed());
                break;
            }
            Err(e) => {
                assert!(e.is_unavailable(), "{e}");
                errors += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    let recovered = recovered.expect("the promoted replica took over within 15 s");
    assert_eq!(
        client.get_value(&victim_key).unwrap().as_deref(),
        Some(&b"w"[..])
    );
    let topology = client.health().topology;
    assert!(topology.failovers >= 1, "{topology:?}");
    eprintln!("killed master replaced after {recovered:?}, {errors} failed calls meanwhile");
}
