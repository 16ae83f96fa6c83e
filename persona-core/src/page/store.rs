//! `store`: checks a rendered response, compresses it once, and runs the
//! store script, which refuses it when anything that affects it was
//! invalidated after its fence (see the module doc of `page`).

use super::entry::{self, Meta};
use super::headers::Headers;
use super::scripts::STORE;
use super::{check_counts, url_stamp, Fence, PageCache, PageUrl};
use crate::error::{Error, Result};
use crate::ids::{Persona, PostId, Tag};
use crate::policy::page::{MAX_RENDER_AGE_SECS, MAX_STATUS, MIN_STATUS};
use crate::pool::Retry;
use crate::route::Route;

/// A rendered response to store.
pub struct Response<'a> {
    pub status: i64,
    pub headers: &'a Headers,
    pub body: &'a [u8],
    /// The posts the page shows.
    pub posts: &'a [PostId],
    /// What lists posts on it (`home`, `term-12`, `feed`...).
    pub tags: &'a [Tag],
    /// Fresh seconds; None for the configured TTL.
    pub ttl_secs: Option<u64>,
}

/// What a store did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    /// The page tier was flushed (or its state lost) after the fence.
    Flushed,
    /// A post or tag of the page, or its URL, was invalidated after the fence.
    Invalidated,
    /// The fence is older than the longest render that may be stored.
    TooOld,
    /// The body is over `max_bytes`.
    TooLarge,
    /// The response sets a cookie, is private/no-store, or its body is
    /// already content-encoded.
    NotCacheable,
}

impl StoreOutcome {
    pub fn stored(self) -> bool {
        self == StoreOutcome::Stored
    }
}

impl PageCache {
    /// Stores a rendered page and releases the fence's lease (whatever the
    /// outcome). Bad arguments are errors; a page that must not or may no
    /// longer be stored is an outcome.
    pub fn store(
        &self,
        url: &PageUrl,
        variant: &Persona,
        fence: &[u8],
        response: &Response,
    ) -> Result<StoreOutcome> {
        let fence = Fence::parse("fence", fence)?;
        if !(MIN_STATUS..=MAX_STATUS).contains(&response.status) {
            return Err(Error::invalid(
                "status",
                format!(
                    "must be an HTTP status between {MIN_STATUS} and {MAX_STATUS}, got {}",
                    response.status
                ),
            ));
        }
        check_counts(response.posts.len(), response.tags.len())?;
        let refused = if response.body.len() > self.config.max_bytes {
            Some(StoreOutcome::TooLarge)
        } else if response.headers.refusal_reason().is_some() {
            Some(StoreOutcome::NotCacheable)
        } else {
            None
        };
        if let Some(outcome) = refused {
            self.release(url, variant, &fence)?;
            return Ok(outcome);
        }
        let status = response.status as u16;
        let headers = response.headers.stored();
        let (encoding, stored) = entry::compress(response.body);
        let meta = Meta {
            status,
            encoding,
            etag: entry::etag(variant.as_str(), status, &headers, response.body),
            tags: response
                .tags
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            posts: response.posts.iter().map(|p| p.get()).collect(),
            headers,
        };
        let ttl_secs = response.ttl_secs.unwrap_or(self.config.ttl_secs);
        let life_secs = self.config.life_secs(ttl_secs);
        let ttl_secs = ttl_secs.min(life_secs);
        let bucket = url.bucket();
        let state = self.keys.page_state(bucket);
        let mut invocation = STORE.prepare_invoke();
        invocation
            .key(&state)
            .key(self.page_key(url, variant))
            .key(self.lease_key(url, variant))
            .key(self.keys.page_variants(bucket, url.hash()));
        for post in response.posts {
            invocation.key(self.keys.page_post_index(bucket, post.get()));
        }
        for tag in response.tags {
            invocation.key(self.keys.page_tag_index(bucket, tag.as_str()));
        }
        invocation
            .arg(&fence.generation)
            .arg(fence.seen_us)
            .arg(&fence.token)
            .arg(MAX_RENDER_AGE_SECS * 1_000_000)
            .arg(ttl_secs * 1000)
            .arg(life_secs * 1000)
            .arg(variant.as_str())
            .arg(format!("{}:{}", url.hash(), variant.as_str()))
            .arg(meta.encode())
            .arg(stored)
            .arg(url.as_str())
            .arg(url_stamp(url))
            .arg(response.posts.len());
        for post in response.posts {
            invocation.arg(post.get());
        }
        for tag in response.tags {
            invocation.arg(tag.as_str());
        }
        let status: i64 = self.client.run(Route::Key(&state), Retry::Once, |con| {
            invocation.invoke(con)
        })?;
        Ok(match status {
            1 => StoreOutcome::Stored,
            0 => StoreOutcome::Flushed,
            -1 => StoreOutcome::Invalidated,
            _ => StoreOutcome::TooOld,
        })
    }
}
