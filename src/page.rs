//! `RedisPersona\PageCache`: the PHP face of `persona_core::PageCache`.
//!
//! Parameters are named in camelCase because ext-php-rs takes PHP parameter
//! names (used by named arguments and Reflection) from the Rust identifiers.
//! Arrays are checked for size before they are read, so a huge argument is
//! refused without being copied.
#![allow(non_snake_case)]

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use persona_core::page::{Encoding, Fetched, Headers, PageConfig, Response};
use persona_core::policy::page::{MAX_HEADERS, MAX_POSTS, MAX_TAGS};
use persona_core::{Error, PageUrl, Persona, PostId, Tag};

use crate::args::{entries, read_array, Bytes, Flag, Int, Key, Options};
use crate::build_array::{Arr, List};
use crate::client::Client;
use crate::errors::OrThrow;

/// Whole responses by normalised URL and variant, served before the
/// application loads.
#[php_class]
#[php(name = "RedisPersona\\PageCache", flags = ClassFlags::Final)]
pub struct PageCache {
    inner: persona_core::PageCache,
}

fn target(url: &Bytes, variant: &Bytes) -> PhpResult<(PageUrl, Persona)> {
    Ok((
        PageUrl::parse("url", url.as_slice()).or_throw()?,
        Persona::parse("variant", variant.as_slice()).or_throw()?,
    ))
}

fn bounded(argument: &str, table: &ZendHashTable, max: usize) -> PhpResult<()> {
    if table.len() > max {
        return Err(Error::invalid(
            argument,
            format!("has {} elements, the limit is {max}", table.len()),
        ))
        .or_throw();
    }
    Ok(())
}

fn posts_of(table: &ZendHashTable) -> PhpResult<Vec<PostId>> {
    bounded("posts", table, MAX_POSTS)?;
    read_array::post_ids("posts", table).or_throw()
}

fn tags_of(table: &ZendHashTable) -> PhpResult<Vec<Tag>> {
    bounded("tags", table, MAX_TAGS)?;
    let raw = read_array::strings("tags", table).or_throw()?;
    raw.iter()
        .enumerate()
        .map(|(i, tag)| Tag::parse(&format!("tags[{i}]"), tag).or_throw())
        .collect()
}

fn fetched_array(fetched: Fetched) -> ZBox<ZendHashTable> {
    let mut arr = Arr::new()
        .set("state", fetched.state.as_str())
        .set("render", fetched.render)
        .set("fence", fetched.fence);
    if let Some(page) = fetched.page {
        let headers = page
            .headers
            .pairs()
            .iter()
            .fold(Arr::new(), |a, (name, value)| {
                a.set(name, Bytes(value.clone()))
            })
            .build();
        arr = arr
            .set("status", i64::from(page.status))
            .set("headers", headers)
            .set("body", Bytes(page.body))
            .set(
                "encoding",
                match page.encoding {
                    Encoding::Gzip => "gzip",
                    Encoding::Raw => "",
                },
            )
            .set("etag", page.etag)
            .set("age", page.age_secs as i64)
            .set("tags", page.tags.into_iter().collect::<List>().build())
            .set(
                "posts",
                page.posts
                    .into_iter()
                    .map(|p| p as i64)
                    .collect::<List>()
                    .build(),
            );
    }
    arr.build()
}

#[php_impl]
impl PageCache {
    /// Creates a page cache on top of a client. No I/O.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(client: &Client, options: Options) -> PhpResult<Self> {
        let config = PageConfig::build(&options.0).or_throw()?;
        Ok(PageCache {
            inner: persona_core::PageCache::new(client.core().clone(), config),
        })
    }

    /// The page of `$url` for `$variant`: state, render, fence, and the page
    /// on a hit or stale hit. One round trip on a hit.
    #[php(defaults(acceptGzip = Flag(false)))]
    pub fn fetch(
        &self,
        url: Bytes,
        variant: Bytes,
        acceptGzip: Flag,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let (url, variant) = target(&url, &variant)?;
        let fetched = self.inner.fetch(&url, &variant, acceptGzip.0).or_throw()?;
        Ok(fetched_array(fetched))
    }

    /// Stores a rendered page and releases the lease; false when it was not
    /// stored (invalidated or flushed since the fence, too large, private).
    #[allow(clippy::too_many_arguments)]
    pub fn store(
        &self,
        url: Bytes,
        variant: Bytes,
        fence: Bytes,
        status: Int,
        headers: &ZendHashTable,
        body: Bytes,
        posts: &ZendHashTable,
        tags: &ZendHashTable,
        ttl: Option<Int>,
    ) -> PhpResult<bool> {
        let (url, variant) = target(&url, &variant)?;
        bounded("headers", headers, MAX_HEADERS)?;
        // A list (headers_list()'s "Name: value" lines) is a caller's slip,
        // not a header named "0".
        if let Some((key, _)) = entries(headers)
            .into_iter()
            .find(|(key, _)| matches!(key, Key::Index(_)))
        {
            return Err(Error::invalid(
                format!("headers[{}]", key.text()),
                "headers must be a map of name => value (split \"Name: value\" lines first)",
            ))
            .or_throw();
        }
        let pairs = read_array::string_map("headers", headers).or_throw()?;
        let headers = Headers::parse("headers", &pairs).or_throw()?;
        let posts = posts_of(posts)?;
        let tags = tags_of(tags)?;
        let ttl_secs = match ttl {
            Some(t) => Some(persona_core::kv::validate_ttl("ttl", t.0).or_throw()?),
            None => None,
        };
        let response = Response {
            status: status.0,
            headers: &headers,
            body: body.as_slice(),
            posts: &posts,
            tags: &tags,
            ttl_secs,
        };
        let outcome = self
            .inner
            .store(&url, &variant, fence.as_slice(), &response)
            .or_throw()?;
        Ok(outcome.stored())
    }

    /// Releases the render lease without storing. A stale or foreign fence
    /// changes nothing.
    pub fn abandon(&self, url: Bytes, variant: Bytes, fence: Bytes) -> PhpResult<()> {
        let (url, variant) = target(&url, &variant)?;
        self.inner
            .abandon(&url, &variant, fence.as_slice())
            .or_throw()
    }

    /// The cached pages that show any of `$posts` or carry any of `$tags`:
    /// `[['url' => string, 'variant' => string], ...]`.
    pub fn pages_for(
        &self,
        posts: &ZendHashTable,
        tags: &ZendHashTable,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        let posts = posts_of(posts)?;
        let tags = tags_of(tags)?;
        let pages = self.inner.pages_for(&posts, &tags).or_throw()?;
        Ok(pages
            .into_iter()
            .map(|(url, variant)| Arr::new().set("url", url).set("variant", variant).build())
            .collect::<List>()
            .build())
    }

    /// Drops every variant of one URL; returns how many were dropped.
    pub fn purge_url(&self, url: Bytes) -> PhpResult<i64> {
        let url = PageUrl::parse("url", url.as_slice()).or_throw()?;
        Ok(self.inner.purge_url(&url).or_throw()? as i64)
    }

    /// Makes every page unreachable at once (O(1)); returns the new
    /// generation. The content cache, locks and OTP are untouched.
    pub fn flush(&self) -> PhpResult<i64> {
        Ok(self.inner.flush().or_throw()? as i64)
    }
}
