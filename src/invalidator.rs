//! `RedisPersona\Invalidator`: the PHP face of `persona_core::Invalidator`.
//!
//! Parameters are named in camelCase because ext-php-rs takes PHP parameter
//! names (used by named arguments and Reflection) from the Rust identifiers.
#![allow(non_snake_case)]

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use persona_core::{Invalidation, PostId, Tag};

use crate::args::{read_array, Bytes, Int};
use crate::build_array::{Arr, List};
use crate::client::Client;
use crate::errors::OrThrow;

/// Precise and total invalidation of the persona cache and the full-page
/// tier (`PageCache`).
#[php_class]
#[php(name = "RedisPersona\\Invalidator", flags = ClassFlags::Final)]
pub struct Invalidator {
    inner: persona_core::Invalidator,
}

fn ids(done: &Invalidation) -> Vec<i64> {
    done.posts.iter().map(|p| *p as i64).collect()
}

#[php_impl]
impl Invalidator {
    /// Creates an invalidator on top of a client. No I/O.
    pub fn __construct(client: &Client) -> Self {
        Invalidator {
            inner: persona_core::Invalidator::new(client.core().clone()),
        }
    }

    /// `$postId` shows content of each of `$onPostIds`: invalidating one of
    /// them invalidates `$postId` too.
    pub fn depends_on(&self, postId: Int, onPostIds: &ZendHashTable) -> PhpResult<()> {
        let post = PostId::parse("postId", postId.0).or_throw()?;
        let on = read_array::post_ids("onPostIds", onPostIds).or_throw()?;
        self.inner.depends_on(post, &on).or_throw()
    }

    /// Adds the post to each tag (for `invalidateTag`).
    pub fn tag(&self, postId: Int, tags: &ZendHashTable) -> PhpResult<()> {
        let post = PostId::parse("postId", postId.0).or_throw()?;
        let raw = read_array::strings("tags", tags).or_throw()?;
        let mut names = Vec::with_capacity(raw.len());
        for (i, tag) in raw.iter().enumerate() {
            names.push(Tag::parse(&format!("tags[{i}]"), tag).or_throw()?);
        }
        self.inner.tag(post, &names).or_throw()
    }

    /// Removes every cached variant of the post and of everything depending
    /// on it, and every full page that showed any of them; returns the post
    /// ids invalidated.
    pub fn invalidate_post(&self, postId: Int) -> PhpResult<Vec<i64>> {
        let post = PostId::parse("postId", postId.0).or_throw()?;
        Ok(ids(&self.inner.invalidate_post(post).or_throw()?))
    }

    /// Invalidates every post tagged `$tag` (and their dependents), and drops
    /// the full pages tagged `$tag` or showing any of them.
    pub fn invalidate_tag(&self, tag: Bytes) -> PhpResult<Vec<i64>> {
        let tag = Tag::parse("tag", tag.as_slice()).or_throw()?;
        Ok(ids(&self.inner.invalidate_tag(&tag).or_throw()?))
    }

    /// Makes every cached variant and every full page unreachable at once;
    /// returns the new cache generation. Locks, OTP and rate limits are not
    /// touched.
    pub fn flush(&self) -> PhpResult<i64> {
        Ok(self.inner.flush().or_throw()? as i64)
    }

    /// The last invalidations, newest first.
    #[php(defaults(limit = 50i64))]
    pub fn recent(&self, limit: Int) -> PhpResult<ZBox<ZendHashTable>> {
        let entries = self.inner.recent(limit.0).or_throw()?;
        Ok(entries
            .into_iter()
            .map(|e| {
                Arr::new()
                    .set("type", e.kind)
                    .set("target", e.target)
                    .set("at", e.at as f64 / 1000.0)
                    .set("posts", e.post_count as i64)
                    .set("variants", e.variants as i64)
                    .set("pages", e.pages as i64)
                    .set("took_ms", e.took_ms)
                    .build()
            })
            .collect::<List>()
            .build())
    }
}
