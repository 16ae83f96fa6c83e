//! The persona cache and invalidation against a real redis-server.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use persona_core::cache::{CacheConfig, PersonaCache, Served};
use persona_core::keys::Keys;
use persona_core::{counters, Client, Invalidator, OptionValue};
use support::{client, persona, pid, pids, tags, variants, RedisServer};

fn cache(client: &Arc<Client>, options: &[(&str, OptionValue)]) -> PersonaCache {
    let options: Vec<(String, OptionValue)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    PersonaCache::new(
        Arc::clone(client),
        CacheConfig::build(&options).expect("options"),
    )
}

fn raw_value(server: &RedisServer, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET")
        .arg(key)
        .query(&mut server.admin())
        .expect("GET")
}

type Render = Result<Vec<u8>, String>;

#[test]
fn values_round_trip_binary_safe_and_compressed() {
    let server = RedisServer::start();
    let c = client(&server, "t1");
    let pc = cache(&c, &[("compression", OptionValue::Str(b"lz4".to_vec()))]);
    let binary = b"<p>\0\xff\xfe caf\xc3\xa9</p>".to_vec();
    assert_eq!(pc.get(pid(5), &persona("family")).unwrap(), None);
    assert!(pc.set(pid(5), &persona("family"), &binary, 60).unwrap());
    assert_eq!(pc.get(pid(5), &persona("family")).unwrap(), Some(binary));

    let big = "<article class=\"family\">Pool, kids club, early dinner.</article>\n"
        .repeat(2000)
        .into_bytes();
    assert!(pc.set(pid(6), &persona("family"), &big, 60).unwrap());
    assert_eq!(
        pc.get(pid(6), &persona("family")).unwrap(),
        Some(big.clone())
    );
    let stored = raw_value(&server, &Keys::new("t1").cache_variant(6, "family")).unwrap();
    assert!(
        stored.len() * 10 < big.len(),
        "stored {} of {}",
        stored.len(),
        big.len()
    );

    // max_bytes: refused with a clear error, nothing stored.
    let small = cache(&c, &[("max_bytes", OptionValue::Int(1000))]);
    let err = small
        .set(pid(7), &persona("family"), &[b'x'; 1001], 60)
        .unwrap_err();
    assert!(err.to_string().contains("max_bytes"), "{err}");
    assert_eq!(pc.get(pid(7), &persona("family")).unwrap(), None);

    // Compression off.
    let plain = cache(&c, &[("compression", OptionValue::Str(b"none".to_vec()))]);
    assert!(plain.set(pid(8), &persona("family"), &big, 60).unwrap());
    let stored = raw_value(&server, &Keys::new("t1").cache_variant(8, "family")).unwrap();
    assert!(stored.len() > big.len());
}

#[test]
fn warm_writes_all_variants_in_one_round_trip_and_indexes_them() {
    let server = RedisServer::start();
    let c = client(&server, "t2");
    let pc = cache(&c, &[]);
    let html: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("p{i}"), format!("<p>{i}</p>").into_bytes()))
        .collect();
    let list: Vec<(&str, &[u8])> = html
        .iter()
        .map(|(p, h)| (p.as_str(), h.as_slice()))
        .collect();
    assert_eq!(pc.warm(pid(9), &variants(&list), 60, None).unwrap(), 8);
    let mut admin = server.admin();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(&mut admin)
        .unwrap();
    assert_eq!(pc.warm(pid(9), &variants(&list), 60, None).unwrap(), 8);
    // One pipeline for all eight variants and the index (the generation
    // and version are known from the first warm): no script, one MGET,
    // one HSET.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut admin)
        .unwrap();
    assert!(!stats.contains("cmdstat_evalsha"), "{stats}");
    assert!(stats.contains("cmdstat_mget:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_hset:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_set:calls=8,"), "{stats}");
    assert_eq!(
        pc.cached_personas(pid(9)).unwrap(),
        (0..8).map(|i| format!("p{i}")).collect::<Vec<_>>()
    );
    assert_eq!(
        pc.get(pid(9), &persona("p3")).unwrap(),
        Some(b"<p>3</p>".to_vec())
    );
}

#[test]
fn stampede_renders_once() {
    let server = RedisServer::start();
    let c = client(&server, "t3");
    let renders = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let c = Arc::clone(&c);
            let renders = Arc::clone(&renders);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let pc = cache(&c, &[]);
                barrier.wait();
                pc.remember(pid(1), &persona("family"), 60, || -> Render {
                    renders.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                    Ok(b"<p>rendered once</p>".to_vec())
                })
                .map_err(|_| "remember failed")
                .unwrap()
            })
        })
        .collect();
    for t in threads {
        let (html, _) = t.join().unwrap();
        assert_eq!(html, b"<p>rendered once</p>");
    }
    assert_eq!(renders.load(Ordering::SeqCst), 1);
}

#[test]
fn stale_value_is_served_while_one_caller_refreshes() {
    let server = RedisServer::start();
    let c = client(&server, "t4");
    let pc = cache(&c, &[("beta", OptionValue::Float(0.0))]);
    pc.set(pid(2), &persona("solo"), b"old", 1).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let renders = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = Arc::clone(&c);
            let renders = Arc::clone(&renders);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let pc = cache(&c, &[("beta", OptionValue::Float(0.0))]);
                barrier.wait();
                let start = Instant::now();
                let (html, served) = pc
                    .remember(pid(2), &persona("solo"), 60, || -> Render {
                        renders.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(400));
                        Ok(b"new".to_vec())
                    })
                    .map_err(|_| "remember failed")
                    .unwrap();
                (html, served, start.elapsed())
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(renders.load(Ordering::SeqCst), 1);
    let fresh: Vec<_> = results.iter().filter(|r| r.1 == Served::Rendered).collect();
    assert_eq!(fresh.len(), 1);
    assert_eq!(fresh[0].0, b"new");
    for (html, served, took) in results.iter().filter(|r| r.1 != Served::Rendered) {
        assert_eq!((html.as_slice(), *served), (&b"old"[..], Served::Stale));
        assert!(
            *took < Duration::from_millis(200),
            "stale caller waited {took:?}"
        );
    }
    assert_eq!(
        pc.get(pid(2), &persona("solo")).unwrap(),
        Some(b"new".to_vec())
    );
}

#[test]
fn a_failed_render_releases_the_lock_stores_nothing_and_keeps_the_stale_value() {
    let server = RedisServer::start();
    let c = client(&server, "t5");
    let pc = cache(&c, &[("beta", OptionValue::Float(0.0))]);
    let err = pc
        .remember(pid(3), &persona("biz"), 60, || -> Render {
            Err("boom".into())
        })
        .unwrap_err();
    assert!(matches!(err, persona_core::cache::RememberError::Render(ref m) if m == "boom"));
    let lock_key = Keys::new("t5").cache_lock(3, "biz");
    let exists: bool = redis::cmd("EXISTS")
        .arg(&lock_key)
        .query(&mut server.admin())
        .unwrap();
    assert!(!exists, "lock left behind");
    assert_eq!(pc.get(pid(3), &persona("biz")).unwrap(), None);

    // With a stale value: the refresher gets the error, others the stale value.
    pc.set(pid(3), &persona("biz"), b"stale", 1).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let err = pc.remember(pid(3), &persona("biz"), 60, || -> Render {
        Err("boom".into())
    });
    assert!(err.is_err());
    let (html, served) = pc
        .remember(pid(3), &persona("biz"), 60, || -> Render {
            Ok(b"fresh".to_vec())
        })
        .map_err(|_| ())
        .unwrap();
    assert_eq!((html.as_slice(), served), (&b"fresh"[..], Served::Rendered));
}

#[test]
fn a_render_begun_before_an_invalidation_is_not_stored() {
    let server = RedisServer::start();
    let c = client(&server, "t6");
    let pc = cache(&c, &[]);
    let inv = Invalidator::new(Arc::clone(&c));
    let (html, _) = pc
        .remember(pid(4), &persona("family"), 60, || -> Render {
            inv.invalidate_post(pid(4)).map_err(|e| e.to_string())?;
            Ok(b"rendered from the old post".to_vec())
        })
        .map_err(|_| ())
        .unwrap();
    assert_eq!(html, b"rendered from the old post");
    assert_eq!(
        pc.get(pid(4), &persona("family")).unwrap(),
        None,
        "stale render resurrected"
    );

    // get-miss, invalidate, set: refused too. A later get-miss-set works.
    assert_eq!(pc.get(pid(4), &persona("family")).unwrap(), None);
    inv.invalidate_post(pid(4)).unwrap();
    assert!(!pc.set(pid(4), &persona("family"), b"stale", 60).unwrap());
    assert_eq!(pc.get(pid(4), &persona("family")).unwrap(), None);
    assert!(pc.set(pid(4), &persona("family"), b"fresh", 60).unwrap());
    assert_eq!(
        pc.get(pid(4), &persona("family")).unwrap(),
        Some(b"fresh".to_vec())
    );

    // Across a flush as well.
    assert_eq!(pc.get(pid(4), &persona("solo")).unwrap(), None);
    inv.flush().unwrap();
    assert!(!pc.set(pid(4), &persona("solo"), b"pre-flush", 60).unwrap());
}

#[test]
fn a_level_wider_than_one_script_and_an_index_past_one_delete_are_invalidated_whole() {
    // On one server a level's posts share scripts of 100, and a post's
    // variants go in DELs of 500: 250 dependents make three scripts, 500
    // and 501 variants end on and just past a DEL's boundary.
    let server = RedisServer::start();
    let c = client(&server, "t7w");
    let pc = cache(&c, &[]);
    let inv = Invalidator::new(Arc::clone(&c));
    let dependents: Vec<u64> = (2001..=2250).collect();
    for post in &dependents {
        inv.depends_on(pid(*post), &pids(&[2000])).unwrap();
        pc.set(pid(*post), &persona("family"), b"d", 60).unwrap();
    }
    let slugs: Vec<String> = (0..501).map(|i| format!("p{i}")).collect();
    for (post, count) in [(2000u64, 500usize), (2001, 501)] {
        for slug in &slugs[..count] {
            pc.set(pid(post), &persona(slug), b"v", 60).unwrap();
        }
    }
    pc.set(pid(3000), &persona("family"), b"untouched", 60)
        .unwrap();
    let version_before = raw_value(&server, &Keys::new("t7w").cache_version(2250));

    let done = inv.invalidate_post(pid(2000)).unwrap();
    assert_eq!(done.post_count, 251);
    // 500 of post 2000, 501 of 2001 (its "family" is one of them: p-slugs
    // plus "family"), one each for the other 249 dependents.
    assert_eq!(done.variants, 500 + 502 + 249);
    let mut admin = server.admin();
    for post in [2000u64, 2001, 2125, 2250] {
        let index: bool = redis::cmd("EXISTS")
            .arg(Keys::new("t7w").cache_index(post))
            .query(&mut admin)
            .unwrap();
        assert!(!index, "post {post}'s index is deleted");
        assert_eq!(pc.get(pid(post), &persona("family")).unwrap(), None);
    }
    assert_eq!(pc.get(pid(2000), &persona("p499")).unwrap(), None);
    assert_eq!(pc.get(pid(2001), &persona("p500")).unwrap(), None);
    assert_ne!(
        raw_value(&server, &Keys::new("t7w").cache_version(2250)),
        version_before,
        "the last post of the last script has a new version"
    );
    assert_eq!(
        pc.get(pid(3000), &persona("family")).unwrap(),
        Some(b"untouched".to_vec())
    );
    // No page was ever fetched or stored, so no bucket has a state: the
    // page tier had nothing to stamp and wrote nothing.
    let (_, page_keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("t7w:pg:*")
        .arg("COUNT")
        .arg(100_000)
        .query(&mut admin)
        .unwrap();
    assert_eq!(page_keys, Vec::<String>::new());
}

#[test]
fn dependents_are_invalidated_transitively_and_cycles_terminate() {
    let server = RedisServer::start();
    let c = client(&server, "t7");
    let pc = cache(&c, &[]);
    let inv = Invalidator::new(Arc::clone(&c));
    // 10 depends on 20, 20 on 30, 30 on 10 (a cycle); 40 on 30.
    inv.depends_on(pid(10), &pids(&[20])).unwrap();
    inv.depends_on(pid(20), &pids(&[30])).unwrap();
    inv.depends_on(pid(30), &pids(&[10])).unwrap();
    inv.depends_on(pid(40), &pids(&[30])).unwrap();
    for post in [10, 20, 30, 40, 50] {
        pc.set(pid(post), &persona("family"), b"x", 60).unwrap();
        pc.set(pid(post), &persona("solo"), b"y", 60).unwrap();
    }
    let done = inv.invalidate_post(pid(30)).unwrap();
    let mut ids = done.posts.clone();
    ids.sort();
    assert_eq!(ids, vec![10, 20, 30, 40]);
    assert_eq!(done.variants, 8);
    for post in [10, 20, 30, 40] {
        assert_eq!(pc.get(pid(post), &persona("family")).unwrap(), None);
    }
    assert_eq!(
        pc.get(pid(50), &persona("family")).unwrap(),
        Some(b"x".to_vec())
    );

    inv.tag(pid(50), &tags(&["news"])).unwrap();
    inv.tag(pid(60), &tags(&["news"])).unwrap();
    let done = inv.invalidate_tag(&tags(&["news"])[0]).unwrap();
    let mut ids = done.posts.clone();
    ids.sort();
    assert_eq!(ids, vec![50, 60]);
    assert_eq!(pc.get(pid(50), &persona("family")).unwrap(), None);

    let log = inv.recent(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].kind.as_str(), log[0].target.as_str()),
        ("tag", "news")
    );
    assert_eq!(
        (log[1].kind.as_str(), log[1].post_count, log[1].variants),
        ("post", 4, 8)
    );
}

#[test]
fn flush_hides_every_variant_and_touches_nothing_else() {
    let server = RedisServer::start();
    let c = client(&server, "t8");
    let pc = cache(&c, &[]);
    let inv = Invalidator::new(Arc::clone(&c));
    for post in 1..=40 {
        pc.set(pid(post), &persona("family"), b"x", 60).unwrap();
    }
    let mut admin = server.admin();
    redis::cmd("SET")
        .arg("t8:lk:slot")
        .arg("held")
        .query::<()>(&mut admin)
        .unwrap();
    let keys_before: u64 = redis::cmd("DBSIZE").query(&mut admin).unwrap();
    let first = inv.flush().unwrap();
    assert!(
        first > 1_700_000_000_000_000,
        "from the clock in µs: {first}"
    );
    for post in 1..=40 {
        assert_eq!(pc.get(pid(post), &persona("family")).unwrap(), None);
        assert!(pc.cached_personas(pid(post)).unwrap().is_empty());
    }
    let held: String = redis::cmd("GET")
        .arg("t8:lk:slot")
        .query(&mut admin)
        .unwrap();
    assert_eq!(held, "held");
    let keys_after: u64 = redis::cmd("DBSIZE").query(&mut admin).unwrap();
    // Only the invalidation log and generation keys were added; nothing deleted.
    assert!(keys_after >= keys_before);
    pc.set(pid(1), &persona("family"), b"new", 60).unwrap();
    assert_eq!(
        pc.get(pid(1), &persona("family")).unwrap(),
        Some(b"new".to_vec())
    );
    assert!(inv.flush().unwrap() > first);
}

#[test]
fn invalidation_never_scans_and_ignores_the_size_of_the_keyspace() {
    let server = RedisServer::start_with(support::free_port(), |_| {
        vec!["--enable-debug-command".into(), "local".into()]
    });
    let c = client(&server, "t9");
    let pc = cache(&c, &[]);
    let inv = Invalidator::new(Arc::clone(&c));
    let prepare = |base: u64| {
        for p in 0..8 {
            pc.set(pid(base), &persona(&format!("p{p}")), b"<p>x</p>", 600)
                .unwrap();
        }
        let deps: Vec<u64> = (1..=10).map(|d| base + d).collect();
        for d in &deps {
            inv.depends_on(pid(*d), &pids(&[base])).unwrap();
            pc.set(pid(*d), &persona("p0"), b"<p>d</p>", 600).unwrap();
        }
    };
    let time = |base: u64| {
        let runs = 50;
        let mut spent = Duration::ZERO;
        for _ in 0..runs {
            prepare(base);
            let start = Instant::now();
            let done = inv.invalidate_post(pid(base)).unwrap();
            spent += start.elapsed();
            assert_eq!((done.post_count, done.variants), (11, 18));
        }
        spent / runs
    };
    let empty = time(1000);
    let mut admin = server.admin();
    redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(200_000)
        .arg("unrelated")
        .query::<()>(&mut admin)
        .unwrap();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(&mut admin)
        .unwrap();
    let full = time(2000);
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut admin)
        .unwrap();
    assert!(!stats.contains("cmdstat_scan"), "{stats}");
    assert!(!stats.contains("cmdstat_keys"), "{stats}");
    assert!(full < empty * 2, "empty db {empty:?}, 200k keys {full:?}");
}

#[test]
fn counters_are_exact_after_a_flush_and_views_are_ranked() {
    let server = RedisServer::start();
    let c = client(&server, "t10");
    let pc = cache(&c, &[]);
    pc.set(pid(1), &persona("family"), b"x", 60).unwrap();
    for _ in 0..7 {
        pc.get(pid(1), &persona("family")).unwrap();
    }
    for _ in 0..3 {
        pc.get(pid(2), &persona("family")).unwrap();
    }
    for (post, views) in [(1, 5), (2, 9), (3, 1)] {
        for _ in 0..views {
            pc.record_view(pid(post));
        }
    }
    // Nothing written yet: counting costs no round trip.
    let mut admin = server.admin();
    let exists: u64 = redis::cmd("EXISTS")
        .arg("t10:st:views")
        .query(&mut admin)
        .unwrap();
    assert_eq!(exists, 0);
    counters::flush_all();
    let stats = pc.stats(7).unwrap();
    assert_eq!(stats.len(), 7);
    let today = &stats[6].1;
    assert_eq!((today.hits, today.misses, today.sets), (7, 3, 1));
    assert_eq!(pc.popular(2).unwrap(), vec![(2, 9), (1, 5)]);
}
