//! The two ways a store goes (cache/store.rs): the pipeline when the
//! generation and version are known, the script when they are not or a
//! guess turned out stale. Whatever moved in between, a later read serves
//! what the last store wrote, never older content.

mod support;

use std::sync::Arc;

use persona_core::cache::{CacheConfig, PersonaCache};
use persona_core::keys::Keys;
use persona_core::{Client, Invalidator};
use support::{client, persona, pid, variants, RedisServer};

fn cache(client: &Arc<Client>) -> PersonaCache {
    PersonaCache::new(Arc::clone(client), CacheConfig::build(&[]).unwrap())
}

fn commands(server: &RedisServer) -> String {
    redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut server.admin())
        .unwrap()
}

fn reset(server: &RedisServer) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(&mut server.admin())
        .unwrap();
}

#[test]
fn a_stale_guess_falls_back_to_the_script_and_the_new_value_is_served() {
    let server = RedisServer::start();
    let c = client(&server, "sp1");
    let pc = cache(&c);
    let other = Invalidator::new(client(&server, "sp1"));
    let family = persona("family");

    assert!(pc.set(pid(5), &family, b"<p>v1</p>", 60).unwrap());
    reset(&server);
    assert!(pc.set(pid(5), &family, b"<p>v2</p>", 60).unwrap());
    assert!(!commands(&server).contains("cmdstat_evalsha"), "pipelined");

    // Another process invalidates the post, then flushes the cache: this
    // object's guesses are stale both times, and the values still land.
    other.invalidate_post(pid(5)).unwrap();
    assert!(pc.set(pid(5), &family, b"<p>v3</p>", 60).unwrap());
    assert_eq!(
        pc.get(pid(5), &family).unwrap(),
        Some(b"<p>v3</p>".to_vec())
    );
    other.flush().unwrap();
    let list = [(family.clone(), b"<p>v4</p>".to_vec())];
    let pairs: Vec<(&str, &[u8])> = list
        .iter()
        .map(|(p, h)| (p.as_str(), h.as_slice()))
        .collect();
    assert_eq!(pc.warm(pid(5), &variants(&pairs), 60, None).unwrap(), 1);
    assert_eq!(
        pc.get(pid(5), &family).unwrap(),
        Some(b"<p>v4</p>".to_vec())
    );

    // The version key lost by hand: recreated by the script, never reused.
    redis::cmd("DEL")
        .arg(Keys::new("sp1").cache_version(5))
        .query::<()>(&mut server.admin())
        .unwrap();
    assert_eq!(pc.get(pid(5), &family).unwrap(), None, "v4 unreachable");
    assert!(pc.set(pid(5), &family, b"<p>v5</p>", 60).unwrap());
    assert_eq!(
        pc.get(pid(5), &family).unwrap(),
        Some(b"<p>v5</p>".to_vec())
    );
}

#[test]
fn a_fenced_store_after_an_invalidation_is_refused_on_the_pipeline_too() {
    let server = RedisServer::start();
    let c = client(&server, "sp2");
    let pc = cache(&c);
    let family = persona("family");
    assert!(pc.set(pid(7), &family, b"<p>old</p>", 60).unwrap());
    Invalidator::new(Arc::clone(&c))
        .invalidate_post(pid(7))
        .unwrap();
    // A miss records the fence (both values known: the pipeline runs).
    assert_eq!(pc.get(pid(7), &family).unwrap(), None);
    Invalidator::new(Arc::clone(&c))
        .invalidate_post(pid(7))
        .unwrap();
    reset(&server);
    assert!(!pc
        .set(pid(7), &family, b"<p>rendered before</p>", 60)
        .unwrap());
    assert!(!commands(&server).contains("cmdstat_evalsha"), "pipelined");
    assert_eq!(pc.get(pid(7), &family).unwrap(), None, "never served");
    assert!(pc.set(pid(7), &family, b"<p>new</p>", 60).unwrap());
    assert_eq!(
        pc.get(pid(7), &family).unwrap(),
        Some(b"<p>new</p>".to_vec())
    );
}

#[test]
fn the_pipeline_extends_the_post_keys_once_per_eighth_of_the_ttl() {
    let server = RedisServer::start();
    let c = client(&server, "sp3");
    let pc = cache(&c);
    let family = persona("family");
    assert!(pc.set(pid(9), &family, b"<p>1</p>", 3600).unwrap()); // script
    assert!(pc.set(pid(9), &family, b"<p>2</p>", 3600).unwrap()); // extends
    reset(&server);
    assert!(pc.set(pid(9), &family, b"<p>3</p>", 3600).unwrap());
    let stats = commands(&server);
    assert!(
        stats.contains("cmdstat_pexpire:calls=1,"),
        "NX only: {stats}"
    );
    let keys = Keys::new("sp3");
    let mut admin = server.admin();
    let pttl = |key: String, admin: &mut redis::Connection| -> i64 {
        redis::cmd("PTTL").arg(key).query(admin).unwrap()
    };
    let variant = pttl(keys.cache_variant(9, "family"), &mut admin);
    for key in [
        keys.cache_version(9),
        keys.cache_index(9),
        keys.cache_generation(Keys::bucket(9)),
    ] {
        let left = pttl(key.clone(), &mut admin);
        assert!(
            left >= variant,
            "{key} lives {left} ms, the variant {variant} ms"
        );
    }
}
