//! What keeps stale HTML out of the cache when metadata is lost (expired,
//! evicted, deleted by hand), when Redis is full, when a preload straddles an
//! edit, and when a render re-enters itself. Real redis-servers throughout.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use persona_core::cache::{CacheConfig, PersonaCache, Served};
use persona_core::keys::{Keys, CACHE_BUCKETS};
use persona_core::{counters, Client, ClientConfig, Defaults, Invalidator, OptionValue};
use support::{client, persona, pid, tags, variants, RedisServer};

type Render = Result<Vec<u8>, String>;

fn cache(client: &Arc<Client>) -> PersonaCache {
    PersonaCache::new(Arc::clone(client), CacheConfig::default())
}

/// A client with its own pool and breaker (pool_size differs from
/// `support::client`'s), so failures it sees do not affect the other.
fn separate_client(server: &RedisServer, prefix: &str) -> Arc<Client> {
    let options = vec![
        (
            "prefix".to_string(),
            OptionValue::Str(prefix.as_bytes().to_vec()),
        ),
        ("pool_size".to_string(), OptionValue::Int(3)),
    ];
    let config = ClientConfig::build(
        Some(server.url().as_bytes()),
        &options,
        &Defaults::default(),
    )
    .unwrap();
    Arc::new(Client::new(config).unwrap())
}

fn pttl(admin: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(admin).unwrap()
}

fn del(admin: &mut redis::Connection, key: &str) {
    redis::cmd("DEL").arg(key).query::<()>(admin).unwrap();
}

fn dbsize(admin: &mut redis::Connection) -> u64 {
    redis::cmd("DBSIZE").query(admin).unwrap()
}

#[test]
fn warm_never_stores_what_was_rendered_before_an_edit_or_a_flush() {
    let server = RedisServer::start();
    let c = client(&server, "g1");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let old: &[(&str, &[u8])] = &[("family", b"pre-edit"), ("solo", b"pre-edit")];

    // Explicit fence: observe, edit, warm.
    let fence = pc.observe(pid(1)).unwrap();
    inv.invalidate_post(pid(1)).unwrap();
    assert_eq!(
        pc.warm(pid(1), &variants(old), 60, Some(fence.as_bytes()))
            .unwrap(),
        0
    );
    assert_eq!(pc.get(pid(1), &persona("family")).unwrap(), None);

    // Recorded by observe(), then a flush.
    pc.observe(pid(2)).unwrap();
    inv.flush().unwrap();
    assert_eq!(pc.warm(pid(2), &variants(old), 60, None).unwrap(), 0);

    // Recorded by a get() miss: edit or flush in between.
    assert_eq!(pc.get(pid(3), &persona("family")).unwrap(), None);
    inv.invalidate_post(pid(3)).unwrap();
    assert_eq!(pc.warm(pid(3), &variants(old), 60, None).unwrap(), 0);
    assert_eq!(pc.get(pid(3), &persona("family")).unwrap(), None);
    assert_eq!(pc.get(pid(4), &persona("solo")).unwrap(), None);
    inv.flush().unwrap();
    assert_eq!(
        pc.warm(pid(4), &variants(old), 60, None).unwrap(),
        0,
        "retried after a flush"
    );
    assert_eq!(pc.get(pid(4), &persona("solo")).unwrap(), None);

    // Nothing moved since the fence: stored. No fence at all: stored.
    let fence = pc.observe(pid(5)).unwrap();
    assert_eq!(
        pc.warm(pid(5), &variants(old), 60, Some(fence.as_bytes()))
            .unwrap(),
        2
    );
    assert_eq!(
        pc.get(pid(5), &persona("solo")).unwrap(),
        Some(b"pre-edit".to_vec())
    );
    assert_eq!(pc.warm(pid(6), &variants(old), 60, None).unwrap(), 2);

    // Bad tokens name the argument and store nothing.
    for bad in [&b"garbage"[..], b"5:1", b"5:x:1", fence.as_bytes()] {
        let err = pc.warm(pid(7), &variants(old), 60, Some(bad)).unwrap_err();
        assert!(err.to_string().starts_with("fence: "), "{err}");
    }
    assert_eq!(pc.cached_personas(pid(7)).unwrap(), Vec::<String>::new());
}

#[test]
fn writers_that_saw_nothing_cached_do_not_refuse_each_other() {
    let server = RedisServer::start();
    // Two processes (separate fence tables) on an empty cache.
    let a = cache(&client(&server, "g10"));
    let b = cache(&separate_client(&server, "g10"));
    let inv = Invalidator::new(client(&server, "g10"));
    assert_eq!(a.get(pid(1), &persona("family")).unwrap(), None);
    let fence = a.observe(pid(2)).unwrap();
    // b creates the generation and the posts' versions meanwhile.
    assert!(b.set(pid(1), &persona("solo"), b"b", 60).unwrap());
    assert!(b.set(pid(2), &persona("solo"), b"b", 60).unwrap());
    assert!(a.set(pid(1), &persona("family"), b"a", 60).unwrap());
    assert_eq!(
        a.warm(
            pid(2),
            &variants(&[("family", b"a")]),
            60,
            Some(fence.as_bytes())
        )
        .unwrap(),
        1
    );
    assert_eq!(
        a.get(pid(1), &persona("family")).unwrap(),
        Some(b"a".to_vec())
    );
    // An edit, though, is never mistaken for another writer.
    let fence = a.observe(pid(3)).unwrap();
    assert_eq!(a.get(pid(4), &persona("family")).unwrap(), None);
    inv.invalidate_post(pid(3)).unwrap();
    inv.invalidate_post(pid(4)).unwrap();
    assert_eq!(
        a.warm(
            pid(3),
            &variants(&[("family", b"old")]),
            60,
            Some(fence.as_bytes())
        )
        .unwrap(),
        0
    );
    assert!(!a.set(pid(4), &persona("family"), b"old", 60).unwrap());
    let fresh = cache(&client(&server, "g11"));
    let fence = fresh.observe(pid(5)).unwrap();
    Invalidator::new(client(&server, "g11")).flush().unwrap();
    assert_eq!(
        fresh
            .warm(
                pid(5),
                &variants(&[("family", b"old")]),
                60,
                Some(fence.as_bytes())
            )
            .unwrap(),
        0
    );
}

#[test]
fn a_lost_generation_key_never_brings_flushed_variants_back() {
    let server = RedisServer::start();
    let c = client(&server, "g2");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let mut admin = server.admin();
    assert!(pc
        .set(pid(1), &persona("family"), b"before the first flush", 600)
        .unwrap());
    inv.flush().unwrap();
    assert!(pc
        .set(pid(1), &persona("family"), b"before the second flush", 600)
        .unwrap());
    assert_eq!(
        pc.get(pid(1), &persona("family")).unwrap(),
        Some(b"before the second flush".to_vec())
    );
    // The generation keys expire (or are evicted, or deleted).
    for bucket in 0..CACHE_BUCKETS {
        del(&mut admin, &Keys::new("g2").cache_generation(bucket));
    }
    assert_eq!(
        pc.get(pid(1), &persona("family")).unwrap(),
        None,
        "first generation revived"
    );
    inv.flush().unwrap();
    assert_eq!(
        pc.get(pid(1), &persona("family")).unwrap(),
        None,
        "generation reused"
    );
    assert!(pc.set(pid(1), &persona("family"), b"after", 600).unwrap());
    assert_eq!(
        pc.get(pid(1), &persona("family")).unwrap(),
        Some(b"after".to_vec())
    );
}

#[test]
fn a_lost_variant_index_or_post_version_never_serves_old_html() {
    let server = RedisServer::start();
    let c = client(&server, "g3");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let keys = Keys::new("g3");
    let mut admin = server.admin();

    assert!(pc.set(pid(2), &persona("family"), b"old", 600).unwrap());
    del(&mut admin, &keys.cache_index(2));
    let done = inv.invalidate_post(pid(2)).unwrap();
    assert_eq!(done.variants, 0, "the index was gone");
    assert_eq!(
        pc.get(pid(2), &persona("family")).unwrap(),
        None,
        "old HTML served"
    );
    assert!(pc.cached_personas(pid(2)).unwrap().is_empty());

    assert!(pc.set(pid(3), &persona("family"), b"v", 600).unwrap());
    del(&mut admin, &keys.cache_version(3));
    assert_eq!(pc.get(pid(3), &persona("family")).unwrap(), None);
    assert!(pc.cached_personas(pid(3)).unwrap().is_empty());
    assert!(pc.set(pid(3), &persona("family"), b"v2", 600).unwrap());
    assert_eq!(
        pc.get(pid(3), &persona("family")).unwrap(),
        Some(b"v2".to_vec())
    );
}

#[test]
fn metadata_outlives_the_variants_it_guards() {
    let server = RedisServer::start();
    let c = client(&server, "g4");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let keys = Keys::new("g4");
    let mut admin = server.admin();
    assert!(pc.set(pid(4), &persona("family"), b"x", 600).unwrap());
    let variant = pttl(&mut admin, &keys.cache_variant(4, "family"));
    assert!(variant > 600_000, "{variant}");
    for key in [
        keys.cache_generation(Keys::bucket(4)),
        keys.cache_version(4),
        keys.cache_index(4),
    ] {
        let ttl = pttl(&mut admin, &key);
        assert!(ttl >= variant - 1000, "{key}: {ttl} ms < {variant} ms");
    }
    inv.flush().unwrap();
    inv.invalidate_post(pid(4)).unwrap();
    let month = 30 * 86_400_000;
    for key in [keys.cache_generation(0), keys.cache_version(4)] {
        let ttl = pttl(&mut admin, &key);
        assert!(ttl > month - 60_000 && ttl <= month, "{key}: {ttl}");
    }
}

#[test]
fn lru_eviction_never_serves_old_html() {
    let server = RedisServer::start_with(support::free_port(), |_| {
        [
            "--maxmemory-policy",
            "allkeys-lru",
            "--maxmemory-samples",
            "10",
        ]
        .map(String::from)
        .to_vec()
    });
    let c = client(&server, "g5");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let mut admin = server.admin();
    let old = |post: u64| format!("old {post} {}", "x".repeat(1000)).into_bytes();
    let posts: Vec<u64> = (1..=300).collect();
    for &p in &posts {
        assert!(pc.set(pid(p), &persona("family"), &old(p), 3600).unwrap());
    }
    for _ in 0..2 {
        for &p in &posts {
            assert_eq!(pc.get(pid(p), &persona("family")).unwrap(), Some(old(p)));
        }
    }
    let used = server.info_field("memory", "used_memory");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 256 * 1024)
        .query::<()>(&mut admin)
        .unwrap();
    for i in 0..4000 {
        redis::cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(vec![b'f'; 1024])
            .query::<()>(&mut admin)
            .unwrap();
    }
    assert!(server.info_field("stats", "evicted_keys") > 1000);
    for &p in &posts {
        inv.invalidate_post(pid(p)).unwrap();
    }
    let served: Vec<u64> = posts
        .iter()
        .copied()
        .filter(|p| pc.get(pid(*p), &persona("family")).unwrap().is_some())
        .collect();
    assert!(served.is_empty(), "old HTML served for {served:?}");
}

#[test]
fn out_of_memory_stores_fail_whole_and_invalidation_still_works() {
    let server = RedisServer::start();
    let c = client(&server, "g6");
    let pc = cache(&c);
    let inv = Invalidator::new(Arc::clone(&c));
    let mut admin = server.admin();
    for p in 1..=5 {
        assert!(pc.set(pid(p), &persona("family"), b"cached", 600).unwrap());
        inv.tag(pid(p), &tags(&["news"])).unwrap();
    }
    let used = server.info_field("memory", "used_memory");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 512 * 1024)
        .query::<()>(&mut admin)
        .unwrap();
    let mut filled = false;
    for i in 0..1000 {
        let r = redis::cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(vec![b'f'; 64 * 1024])
            .query::<()>(&mut admin);
        if let Err(e) = r {
            assert!(e.to_string().contains("OOM"), "{e}");
            filled = true;
            break;
        }
    }
    assert!(filled, "never reached maxmemory");

    // Writes that add keys fail whole: nothing new appears. (remember()
    // first: whether an OOM reply opens the breaker is not this test's
    // business.)
    let writer = separate_client(&server, "g6");
    let wc = cache(&writer);
    let before = dbsize(&mut admin);
    let (html, served) = wc
        .remember(pid(7), &persona("family"), 600, || -> Render {
            Ok(b"rendered".to_vec())
        })
        .map_err(|_| ())
        .unwrap();
    assert_eq!(
        (html.as_slice(), served),
        (&b"rendered"[..], Served::Bypass)
    );
    let swallowed = wc.last_error().expect("the OOM error is kept");
    assert!(swallowed.to_string().contains("OOM"), "{swallowed}");
    assert!(wc.set(pid(9), &persona("family"), b"new", 600).is_err());
    assert!(wc.set(pid(1), &persona("solo"), b"new", 600).is_err());
    assert!(wc
        .warm(pid(8), &variants(&[("a", b"x"), ("b", b"y")]), 600, None)
        .is_err());
    assert_eq!(dbsize(&mut admin), before);
    assert!(wc.observe(pid(9)).is_ok(), "reads still work");

    // What frees memory or hides stale content still works.
    assert_eq!(inv.invalidate_post(pid(1)).unwrap().variants, 1);
    assert_eq!(pc.get(pid(1), &persona("family")).unwrap(), None);
    inv.invalidate_post(pid(99)).unwrap();
    assert_eq!(
        inv.invalidate_tag(&tags(&["news"])[0]).unwrap().posts.len(),
        5
    );
    assert_eq!(pc.get(pid(2), &persona("family")).unwrap(), None);
    inv.flush().unwrap();
}

#[test]
fn remember_inside_its_own_render_does_not_wait_for_itself() {
    let server = RedisServer::start();
    let c = client(&server, "g7");
    let pc = cache(&c);
    let started = Instant::now();
    let (html, served) = pc
        .remember(pid(5), &persona("family"), 60, || -> Render {
            let (inner, served) = pc
                .remember(pid(5), &persona("family"), 60, || -> Render {
                    Ok(b"i".to_vec())
                })
                .map_err(|_| "inner failed".to_string())?;
            assert_eq!(served, Served::Bypass);
            Ok([&b"o+"[..], &inner].concat())
        })
        .map_err(|_| ())
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((html.as_slice(), served), (&b"o+i"[..], Served::Rendered));
    assert_eq!(
        pc.get(pid(5), &persona("family")).unwrap(),
        Some(b"o+i".to_vec())
    );
}

#[test]
fn last_error_keeps_what_remember_swallowed_until_the_next_call() {
    let server = RedisServer::start();
    let live = cache(&client(&server, "g8"));
    let port = support::free_port();
    let nowhere = Arc::new(
        Client::new(
            ClientConfig::build(
                Some(format!("redis://127.0.0.1:{port}").as_bytes()),
                &[],
                &Defaults::default(),
            )
            .unwrap(),
        )
        .unwrap(),
    );
    let down = cache(&nowhere);
    assert!(down.last_error().is_none());
    let (html, served) = down
        .remember(pid(1), &persona("family"), 60, || -> Render {
            Ok(b"r".to_vec())
        })
        .map_err(|_| ())
        .unwrap();
    assert_eq!((html.as_slice(), served), (&b"r"[..], Served::Bypass));
    assert!(down.last_error().is_some_and(|e| e.is_unavailable()));
    // get() throws instead of swallowing: nothing kept.
    assert!(down.get(pid(1), &persona("family")).is_err());
    assert!(down.last_error().is_none());
    live.remember(pid(1), &persona("family"), 60, || -> Render {
        Ok(b"r".to_vec())
    })
    .map_err(|_| ())
    .unwrap();
    assert!(live.last_error().is_none());
}

#[test]
fn statistics_live_thirty_days_at_most() {
    let server = RedisServer::start();
    let c = client(&server, "g9");
    let pc = cache(&c);
    pc.get(pid(1), &persona("family")).unwrap();
    pc.record_view(pid(1));
    counters::flush_all();
    let mut admin = server.admin();
    let day = pc.stats(1).unwrap()[0].0.clone();
    for key in [format!("g9:st:d:{day}"), "g9:st:views".to_string()] {
        let ttl = pttl(&mut admin, &key);
        assert!(ttl > 0 && ttl <= 30 * 86_400_000, "{key}: {ttl}");
    }
}
