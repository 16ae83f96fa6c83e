//! The page tier against a real redis-server: what each store outcome is,
//! single flight across threads, one request per hit, and the stamp hash
//! pruning itself.

mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use persona_core::page::{Headers, PageState, Response, StoreOutcome};
use persona_core::{Invalidator, PageCache, PageConfig, PageUrl, PostId, Tag};
use support::{client, persona, pid, pids, tags, RedisServer};

fn url(path: &str) -> PageUrl {
    PageUrl::parse("url", format!("https://example.test/{path}/").as_bytes()).unwrap()
}

fn pages(server: &RedisServer, prefix: &str, wait_ms: u64) -> PageCache {
    let config = PageConfig {
        wait: Duration::from_millis(wait_ms),
        ..PageConfig::default()
    };
    PageCache::new(client(server, prefix), config)
}

fn response<'a>(
    body: &'a [u8],
    headers: &'a Headers,
    posts: &'a [PostId],
    tags: &'a [Tag],
) -> Response<'a> {
    Response {
        status: 200,
        headers,
        body,
        posts,
        tags,
        ttl_secs: None,
    }
}

/// Fetches `path` (taking the lease), runs `between`, stores; the outcome.
fn render(
    pages: &PageCache,
    path: &str,
    between: impl FnOnce(),
    posts: &[u64],
    tag_names: &[&str],
) -> StoreOutcome {
    let variant = persona("family");
    let miss = pages.fetch(&url(path), &variant, false).unwrap();
    assert!(miss.render, "{path}: no lease");
    between();
    let (posts, tags) = (pids(posts), tags(tag_names));
    let headers = Headers::default();
    pages
        .store(
            &url(path),
            &variant,
            miss.fence.as_bytes(),
            &response(b"<p>page</p>", &headers, &posts, &tags),
        )
        .unwrap()
}

#[test]
fn each_refusal_says_why() {
    let server = RedisServer::start();
    let pages = pages(&server, "po", 20);
    let inv = Invalidator::new(client(&server, "po"));
    assert_eq!(
        render(&pages, "a", || {}, &[1], &["home"]),
        StoreOutcome::Stored
    );
    let post = || {
        inv.invalidate_post(pid(1)).unwrap();
    };
    assert_eq!(
        render(&pages, "b", post, &[1], &[]),
        StoreOutcome::Invalidated
    );
    let tag = || {
        inv.invalidate_tag(&tags(&["home"])[0]).unwrap();
    };
    assert_eq!(
        render(&pages, "c", tag, &[], &["home"]),
        StoreOutcome::Invalidated
    );
    let flush = || {
        pages.flush().unwrap();
    };
    assert_eq!(render(&pages, "d", flush, &[], &[]), StoreOutcome::Flushed);

    let variant = persona("family");
    let miss = pages.fetch(&url("e"), &variant, false).unwrap();
    let cookie = Headers::parse("headers", &[(b"Set-Cookie".to_vec(), b"a=b".to_vec())]).unwrap();
    let outcome = pages
        .store(
            &url("e"),
            &variant,
            miss.fence.as_bytes(),
            &response(b"x", &cookie, &[], &[]),
        )
        .unwrap();
    assert_eq!(outcome, StoreOutcome::NotCacheable);
    let small = PageCache::new(
        client(&server, "po"),
        PageConfig {
            max_bytes: 3,
            ..PageConfig::default()
        },
    );
    let miss = small.fetch(&url("e"), &variant, false).unwrap();
    assert!(miss.render, "the refused store released the lease");
    let none = Headers::default();
    let outcome = small
        .store(
            &url("e"),
            &variant,
            miss.fence.as_bytes(),
            &response(b"four", &none, &[], &[]),
        )
        .unwrap();
    assert_eq!(outcome, StoreOutcome::TooLarge);
}

#[test]
fn threads_missing_together_render_once() {
    let server = RedisServer::start();
    let pages = Arc::new(pages(&server, "pt", 3000));
    let start = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (pages, start) = (Arc::clone(&pages), Arc::clone(&start));
            std::thread::spawn(move || {
                let variant = persona("family");
                start.wait();
                let got = pages.fetch(&url("together"), &variant, false).unwrap();
                if got.render {
                    std::thread::sleep(Duration::from_millis(200));
                    let none = Headers::default();
                    let stored = pages
                        .store(
                            &url("together"),
                            &variant,
                            got.fence.as_bytes(),
                            &response(b"<p>once</p>", &none, &[], &[]),
                        )
                        .unwrap();
                    assert_eq!(stored, StoreOutcome::Stored);
                }
                (got.state, got.render, got.page.map(|p| p.body))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.1).count(), 1, "{results:?}");
    for (state, render, body) in results {
        if !render {
            assert_eq!(state, PageState::Hit);
            assert_eq!(body.as_deref(), Some(&b"<p>once</p>"[..]));
        }
    }
}

#[test]
fn a_hit_is_one_request() {
    let server = RedisServer::start();
    let pages = pages(&server, "pr", 20);
    assert_eq!(
        render(&pages, "hot", || {}, &[1, 2], &["home"]),
        StoreOutcome::Stored
    );
    let variant = persona("family");
    for accept_gzip in [false, true, false] {
        let mut admin = server.admin();
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query::<()>(&mut admin)
            .unwrap();
        let hit = pages.fetch(&url("hot"), &variant, accept_gzip).unwrap();
        assert_eq!(hit.state, PageState::Hit);
        // Read events on every connection since the reset: this INFO's and
        // the fetch's (a pipeline would count once: it is one request).
        let info: String = redis::cmd("INFO").arg("stats").query(&mut admin).unwrap();
        let reads = info
            .lines()
            .find_map(|l| l.strip_prefix("total_reads_processed:"))
            .map(|v| v.trim().to_owned());
        assert_eq!(reads.as_deref(), Some("2"), "accept_gzip {accept_gzip}");
    }
}

#[test]
fn old_stamps_are_pruned_and_recent_ones_kept() {
    let server = RedisServer::start();
    let pages = pages(&server, "pp", 20);
    let inv = Invalidator::new(client(&server, "pp"));
    assert_eq!(render(&pages, "x", || {}, &[], &[]), StoreOutcome::Stored);
    let mut admin = server.admin();
    let state = "pp:pg:{b00}:s";
    for i in 0..600 {
        redis::cmd("HSET")
            .arg(state)
            .arg(format!("p:{}", 100_000 + i))
            .arg("1000000")
            .query::<()>(&mut admin)
            .unwrap();
    }
    inv.invalidate_post(pid(7)).unwrap();
    let fields: Vec<String> = redis::cmd("HKEYS").arg(state).query(&mut admin).unwrap();
    assert!(fields.contains(&"p:7".to_owned()), "{fields:?}");
    assert!(fields.len() < 10, "{} fields left", fields.len());
    let ttl: i64 = redis::cmd("PTTL").arg(state).query(&mut admin).unwrap();
    assert!(ttl > 0);
}

#[test]
fn an_invalidation_drops_a_posts_pages_in_every_bucket_and_no_others() {
    // One script takes all sixteen buckets on one server; 48 URLs spread
    // over (nearly) all of them.
    let server = RedisServer::start();
    let pages = pages(&server, "pb", 20);
    let inv = Invalidator::new(client(&server, "pb"));
    let paths: Vec<String> = (0..48).map(|i| format!("shows-five-{i}")).collect();
    for path in &paths {
        assert_eq!(render(&pages, path, || {}, &[5], &[]), StoreOutcome::Stored);
    }
    assert_eq!(
        render(&pages, "other", || {}, &[6], &[]),
        StoreOutcome::Stored
    );
    let mut admin = server.admin();
    let (_, states): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("pb:pg:{b*}:s")
        .arg("COUNT")
        .arg(100_000)
        .query(&mut admin)
        .unwrap();
    assert!(
        states.len() >= 12,
        "48 URLs fell in {} buckets",
        states.len()
    );

    let done = inv.invalidate_post(pid(5)).unwrap();
    assert_eq!(done.pages, 48);
    let variant = persona("family");
    for path in &paths {
        let fetched = pages.fetch(&url(path), &variant, false).unwrap();
        assert!(fetched.page.is_none(), "{path} was dropped");
    }
    let other = pages.fetch(&url("other"), &variant, false).unwrap();
    assert!(other.page.is_some(), "a page of another post stays");
    // Every bucket with a state carries the post's stamp.
    for state in &states {
        let stamp: Option<String> = redis::cmd("HGET")
            .arg(state)
            .arg("p:5")
            .query(&mut admin)
            .unwrap();
        assert!(stamp.is_some(), "{state} is stamped");
    }
}
