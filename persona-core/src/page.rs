//! The full-page tier: whole responses (status, headers, body) of a
//! normalised URL for one variant (the persona), served before the
//! application loads.
//!
//! A hit is one round trip: one script reads the bucket's generation, the
//! page and (on a miss or a stale page) takes the render lease, all in the
//! URL's bucket (keys.rs). A miss renders once across processes and servers:
//! the caller that gets the lease renders; the others wait up to `wait_ms`
//! for its page, then render without storing. A stale page is served to
//! everyone while the one lease holder re-renders it.
//!
//! The fence. Which posts a page shows is only known after it rendered, so
//! the fetch records when it looked (server clock, µs) and the bucket's
//! generation. Every invalidation stamps each post and tag it touches with
//! the server time, in every bucket; a flush moves the generation. The store
//! script refuses a page if the generation moved, or if any of the page's
//! posts, tags or its URL was stamped at or after the fetch. Stamps are kept
//! for [`MAX_RENDER_AGE_SECS`] plus a margin, so an older fence is refused
//! outright; the stamps live in the same hash as the generation, so losing
//! them (eviction, a restart without persistence) loses the generation too,
//! and every fence taken before is refused. It errs on the side of refusing.
//!
//! Bodies are gzip-compressed once at store time when that pays; a client
//! that accepts gzip gets the stored bytes as they are.

mod config;
mod entry;
mod fetch;
mod headers;
pub(crate) mod invalidate;
mod scripts;
mod store;
mod url;

use std::sync::Arc;

pub use self::config::{PageConfig, OPTION_NAMES};
pub use self::entry::Encoding;
pub use self::fetch::{Fetched, Page, PageState};
pub use self::headers::Headers;
use self::scripts::{ABANDON, PAGES_FOR, PURGE_URL};
pub use self::store::{Response, StoreOutcome};
pub use self::url::PageUrl;
use crate::batch::Batch;
use crate::client::Client;
use crate::error::{printable, Error, Result};
use crate::ids::{Persona, PostId, Tag};
use crate::keys::{Keys, CACHE_BUCKETS};
pub use crate::policy::page::MAX_RENDER_AGE_SECS;
use crate::policy::page::{MAX_PAGES_LISTED, MAX_POSTS, MAX_TAGS};
use crate::pool::Retry;
use crate::route::Route;

/// What a fetch observed: the bucket's generation, the server time, and the
/// lease token when the fetch took the lease. Opaque to callers
/// (`"gen.time_us.token"`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fence {
    generation: String,
    seen_us: u64,
    token: String,
}

impl Fence {
    fn text(&self) -> String {
        format!("{}.{}.{}", self.generation, self.seen_us, self.token)
    }

    fn parse(argument: &str, text: &[u8]) -> Result<Fence> {
        let bad = || {
            Error::invalid(
                argument,
                format!(
                    "is not a fence returned by fetch(), got '{}'",
                    printable(&text[..text.len().min(80)])
                ),
            )
        };
        let text = std::str::from_utf8(text).map_err(|_| bad())?;
        let mut parts = text.split('.');
        let (Some(generation), Some(seen), Some(token), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(generation)
            || !digits(seen)
            || !(token.is_empty()
                || (token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())))
        {
            return Err(bad());
        }
        Ok(Fence {
            generation: generation.to_owned(),
            seen_us: seen.parse().map_err(|_| bad())?,
            token: token.to_owned(),
        })
    }
}

pub struct PageCache {
    client: Arc<Client>,
    keys: Keys,
    config: PageConfig,
}

impl PageCache {
    pub fn new(client: Arc<Client>, config: PageConfig) -> PageCache {
        let keys = Keys::new(client.prefix());
        PageCache {
            client,
            keys,
            config,
        }
    }

    pub fn config(&self) -> &PageConfig {
        &self.config
    }

    fn page_key(&self, url: &PageUrl, variant: &Persona) -> String {
        self.keys.page(url.bucket(), url.hash(), variant.as_str())
    }

    fn lease_key(&self, url: &PageUrl, variant: &Persona) -> String {
        self.keys
            .page_lease(url.bucket(), url.hash(), variant.as_str())
    }

    /// Releases the lease `fence` holds, if it still does. A fence without a
    /// lease, or whose lease expired or was taken over, changes nothing.
    pub fn abandon(&self, url: &PageUrl, variant: &Persona, fence: &[u8]) -> Result<()> {
        let fence = Fence::parse("fence", fence)?;
        self.release(url, variant, &fence)
    }

    fn release(&self, url: &PageUrl, variant: &Persona, fence: &Fence) -> Result<()> {
        if fence.token.is_empty() {
            return Ok(());
        }
        let lease = self.lease_key(url, variant);
        let mut invocation = ABANDON.prepare_invoke();
        invocation.key(&lease).arg(&fence.token);
        self.client
            .run(Route::Key(&lease), Retry::Idempotent, |con| {
                invocation.invoke::<i64>(con)
            })?;
        Ok(())
    }

    /// Drops every variant of one URL (and refuses renders of it fenced
    /// before); returns how many pages were dropped.
    pub fn purge_url(&self, url: &PageUrl) -> Result<u64> {
        let bucket = url.bucket();
        let state = self.keys.page_state(bucket);
        let mut invocation = PURGE_URL.prepare_invoke();
        invocation
            .key(&state)
            .key(self.keys.page_variants(bucket, url.hash()))
            .arg(format!("{}u:{}:", self.keys.page_base(bucket), url.hash()))
            .arg(url_stamp(url))
            .arg(invalidate::STAMP_KEEP_MS);
        self.client.run(Route::Key(&state), Retry::Once, |con| {
            invocation.invoke::<u64>(con)
        })
    }

    /// Makes every page unreachable at once (one generation move per bucket,
    /// one round trip) and refuses every render fenced before. The content
    /// cache, locks and OTP are untouched. Returns the new generation.
    pub fn flush(&self) -> Result<u64> {
        invalidate::flush(&self.client, &self.keys)
    }

    /// The current pages that show any of `posts` or carry any of `tags`
    /// (url, variant), at most [`MAX_PAGES_LISTED`]; read-only, one round
    /// trip per call.
    pub fn pages_for(&self, posts: &[PostId], tags: &[Tag]) -> Result<Vec<(String, String)>> {
        check_counts(posts.len(), tags.len())?;
        if posts.is_empty() && tags.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = Batch::new();
        for bucket in 0..CACHE_BUCKETS {
            let state = self.keys.page_state(bucket);
            let mut invocation = PAGES_FOR.prepare_invoke();
            invocation
                .key(&state)
                .arg(self.keys.page_base(bucket))
                .arg(MAX_PAGES_LISTED)
                .arg(posts.len());
            for post in posts {
                invocation.arg(post.get());
            }
            for tag in tags {
                invocation.arg(tag.as_str());
            }
            batch.add_script(&state, &invocation);
        }
        let buckets: Vec<Vec<String>> =
            self.client
                .run_batch(Retry::Idempotent, batch, &[&PAGES_FOR])?;
        let mut pages = Vec::new();
        for flat in buckets {
            for pair in flat.chunks_exact(2) {
                if pages.len() >= MAX_PAGES_LISTED {
                    return Ok(pages);
                }
                pages.push((pair[0].clone(), pair[1].clone()));
            }
        }
        Ok(pages)
    }
}

/// The stamp field of a URL in its bucket's state hash (purgeUrl).
fn url_stamp(url: &PageUrl) -> String {
    format!("u:{}", url.hash())
}

/// The bounds on the posts and tags of one page or one query.
fn check_counts(posts: usize, tags: usize) -> Result<()> {
    if posts > MAX_POSTS {
        return Err(Error::invalid(
            "posts",
            format!("has {posts} ids, the limit is {MAX_POSTS}"),
        ));
    }
    if tags > MAX_TAGS {
        return Err(Error::invalid(
            "tags",
            format!("has {tags} tags, the limit is {MAX_TAGS}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_round_trip_and_refuse_junk() {
        let f = Fence {
            generation: "1764000000000001".into(),
            seen_us: 1_764_000_000_123_456,
            token: "0123456789abcdef0123456789abcdef".into(),
        };
        assert_eq!(Fence::parse("fence", f.text().as_bytes()).unwrap(), f);
        let bare = Fence {
            token: String::new(),
            ..f.clone()
        };
        assert_eq!(Fence::parse("fence", bare.text().as_bytes()).unwrap(), bare);
        for bad in [
            &b""[..],
            b"1.2",
            b"1.2.3.4",
            b"a.2.",
            b"1.2.xyz",
            b"1..",
            b"\xff.1.",
        ] {
            assert!(Fence::parse("fence", bad).is_err(), "{bad:?}");
        }
    }
}
