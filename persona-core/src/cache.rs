//! The persona content cache: one pre-rendered HTML variant per (post,
//! persona), with a fresh TTL, a stale window, single-flight rendering and
//! probabilistic early refresh.
//!
//! Reads. A lookup is one `MGET` in the post's bucket: the bucket's
//! generation, the post's version and the variant. A variant counts only if
//! it is stamped with both current values (entry.rs) and is not past its
//! stale window. A flush moves the generation (O(1): every older variant is
//! unreachable at once); an invalidation moves the post's version, which
//! hides the post's variants even when its variant index was lost. A missing
//! generation or version key means "nothing cached": the store script
//! recreates it from the server clock, never with a value used before.
//!
//! Writes are fenced. A writer passes the generation and post version it saw
//! before rendering; the store refuses the write if either moved (a flush or
//! `invalidatePost` happened meanwhile), so a render that started before an
//! invalidation can never put stale content back: the store script checks
//! atomically, and the pipeline used when both values are known stamps the
//! value with them, so a reader never serves it once they moved (store.rs). `get` records
//! what a miss saw and `observe` what a preload is about to render from, so
//! "get, miss, render, set" and "observe, render, warm" are fenced too (for
//! [`FENCE_WINDOW`]; see fences.rs).
//!
//! Errors that `remember` swallows (it renders without the cache when Redis
//! cannot serve) are kept for [`PersonaCache::last_error`], so a caller can
//! stop using Redis for the rest of its request from the first failure.
//!
//! Process model: the fence table is per process and dropped on fork;
//! nothing here keeps a connection between calls (the pool does), and no
//! lock is held while a render runs, so a render may use the cache itself.

mod config;
pub mod counters;
pub mod entry;
mod fences;
pub mod invalidate;
mod scripts;
mod single_flight;
mod store;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

pub use self::config::CacheConfig;
use self::counters::Event;
use self::entry::{Freshness, Meta};
pub use self::fences::{forget_renders, Fence};
pub use self::single_flight::{RememberError, Served};
use crate::client::Client;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::ids::{Persona, PostId};
use crate::keys::Keys;
use crate::pool::Retry;
use crate::route::Route;

pub const OPTION_NAMES: &[&str] = &[
    "ttl",
    "stale_ttl",
    "max_bytes",
    "compress_min_bytes",
    "compression",
    "beta",
    "lock_ttl_ms",
    "lock_wait_ms",
];
pub use crate::policy::cache::{
    DEFAULT_BETA, DEFAULT_COMPRESS_MIN_BYTES, DEFAULT_LOCK_TTL_MS, DEFAULT_MAX_BYTES,
    DEFAULT_STALE_TTL_SECS, DEFAULT_TTL_SECS, MAX_MAX_BYTES, MAX_WARM_VARIANTS,
};
/// How long a miss seen by `get` fences a following `set`.
pub const FENCE_WINDOW: Duration = Duration::from_secs(60);

/// Result of a store attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// The cache was flushed after the writer looked.
    Flushed,
    /// The post was invalidated after the writer looked.
    Invalidated,
}

/// One read of a variant's slot: generation, post version and the value.
struct Slot {
    fence: Fence,
    value: Option<Vec<u8>>,
    lock_held: bool,
}

pub struct PersonaCache {
    client: Arc<Client>,
    keys: Keys,
    namespace: String,
    config: CacheConfig,
    /// What the last get/set/warm/observe/remember swallowed.
    last_error: Mutex<Option<Error>>,
    /// The generation and version last seen per post (store.rs).
    known: Mutex<std::collections::HashMap<u64, store::Known>>,
}

impl PersonaCache {
    pub fn new(client: Arc<Client>, config: CacheConfig) -> PersonaCache {
        let config = config.for_server(client.config().info.addr());
        let keys = Keys::new(client.prefix());
        let namespace = client.namespace().to_owned();
        PersonaCache {
            client,
            keys,
            namespace,
            config,
            last_error: Mutex::new(None),
            known: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The error the last `get`, `set`, `warm`, `observe` or `remember`
    /// swallowed (only `remember` swallows: it renders without the cache
    /// when Redis cannot serve), or None.
    pub fn last_error(&self) -> Option<Error> {
        self.last_error.lock().clone()
    }

    fn clear_error(&self) {
        *self.last_error.lock() = None;
    }

    fn swallow(&self, error: Error) {
        *self.last_error.lock() = Some(error);
    }

    /// Validates a `?int $ttl` argument; None gives the configured TTL.
    pub fn ttl_or_default(&self, ttl: Option<i64>) -> Result<u64> {
        match ttl {
            None => Ok(self.config.ttl_secs),
            Some(t) => crate::kv::validate_ttl("ttl", t),
        }
    }

    fn check_size(&self, argument: &str, html: &[u8]) -> Result<()> {
        if html.len() > self.config.max_bytes {
            return Err(Error::invalid(
                argument,
                format!(
                    "is {} bytes, over this cache's max_bytes of {}; nothing was stored",
                    html.len(),
                    self.config.max_bytes
                ),
            ));
        }
        Ok(())
    }

    /// One command: generation, version, the variant (when `persona` is
    /// given) and the render lock (when `with_lock`), all in the post's slot.
    fn read(&self, post: u64, persona: Option<&str>, with_lock: bool) -> Result<Slot> {
        let mut mget = redis::cmd("MGET");
        mget.arg(self.keys.cache_generation(Keys::bucket(post)))
            .arg(self.keys.cache_version(post));
        if let Some(persona) = persona {
            mget.arg(self.keys.cache_variant(post, persona));
            if with_lock {
                mget.arg(self.keys.cache_lock(post, persona));
            }
        }
        let mut reply: Vec<Option<Vec<u8>>> = self.client.run(
            Route::ReadBucket(Keys::bucket(post)),
            Retry::Idempotent,
            |con| mget.query(con),
        )?;
        let number = |v: Option<Vec<u8>>| -> u64 {
            v.and_then(|b| std::str::from_utf8(&b).ok()?.parse().ok())
                .unwrap_or(0)
        };
        let lock_held = persona.is_some() && with_lock && reply.pop().flatten().is_some();
        let value = if persona.is_some() {
            reply.pop().flatten()
        } else {
            None
        };
        let version = number(reply.pop().flatten());
        let generation = number(reply.pop().flatten());
        Ok(Slot {
            fence: Fence {
                generation,
                version,
            },
            value,
            lock_held,
        })
    }

    /// Decodes a variant if it is stamped with the current generation and
    /// post version (both present) and is not past its stale window. Takes
    /// the value out of the slot: a plain value becomes the HTML in place.
    fn usable(&self, slot: &mut Slot, now: u64) -> Option<(Meta, Freshness, Vec<u8>)> {
        let bytes = slot.value.take()?;
        let meta = entry::meta(&bytes)?;
        let current = slot.fence.generation != 0 && slot.fence.version != 0;
        if !current
            || meta.generation != slot.fence.generation
            || meta.version != slot.fence.version
        {
            return None;
        }
        let freshness = meta.freshness(now);
        if freshness == Freshness::Expired {
            return None;
        }
        let html = entry::into_html(bytes, MAX_MAX_BYTES as usize)?;
        Some((meta, freshness, html))
    }

    /// The fresh HTML of a variant, or None. One round trip.
    pub fn get(&self, post: PostId, persona: &Persona) -> Result<Option<Vec<u8>>> {
        self.clear_error();
        let (post, persona) = (post.get(), persona.as_str());
        let mut slot = self.read(post, Some(persona), false)?;
        match self.usable(&mut slot, now_ms()) {
            Some((_, Freshness::Fresh, html)) => {
                counters::record(&self.client, Event::Hit);
                Ok(Some(html))
            }
            _ => {
                counters::record(&self.client, Event::Miss);
                self.remember_known(post, slot.fence);
                fences::record_variant(&self.namespace, post, persona, slot.fence);
                fences::record_post(&self.namespace, post, slot.fence, false);
                Ok(None)
            }
        }
    }

    /// What a preload is about to render from: the post's fence as a token
    /// for [`PersonaCache::warm`], also remembered in this process for
    /// [`FENCE_WINDOW`]. One round trip.
    pub fn observe(&self, post: PostId) -> Result<String> {
        self.clear_error();
        let post = post.get();
        let slot = self.read(post, None, false)?;
        self.remember_known(post, slot.fence);
        fences::record_post(&self.namespace, post, slot.fence, true);
        Ok(slot.fence.token(post))
    }

    /// Stores a variant for `ttl_secs` (plus the stale window). Returns false
    /// when a flush or invalidation happened since this process's last `get`
    /// miss of the same variant: that HTML may be stale and is not stored.
    pub fn set(&self, post: PostId, persona: &Persona, html: &[u8], ttl_secs: u64) -> Result<bool> {
        self.clear_error();
        let (post, persona) = (post.get(), persona.as_str());
        self.check_size("html", html)?;
        let fence = fences::take_variant(&self.namespace, post, persona);
        let outcome = self.store(post, &[(persona, html)], ttl_secs, 0, fence, None)?;
        Ok(outcome == Stored::Yes)
    }

    /// Stores every variant of a post in one round trip; returns how many
    /// (0 when the post was invalidated or the cache flushed since the
    /// fence). The fence is `fence` (a token from `observe`), else the one
    /// this process recorded for the post (`observe`, a `get` miss) within
    /// [`FENCE_WINDOW`], else the state when the store runs. Never retried
    /// under a newer state.
    pub fn warm(
        &self,
        post: PostId,
        variants: &[(Persona, &[u8])],
        ttl_secs: u64,
        fence: Option<&[u8]>,
    ) -> Result<usize> {
        self.clear_error();
        let post = post.get();
        let variants: Vec<(&str, &[u8])> = variants
            .iter()
            .map(|(persona, html)| (persona.as_str(), *html))
            .collect();
        let explicit = match fence {
            Some(token) => Some(Fence::parse("fence", post, token)?),
            None => None,
        };
        if variants.len() > MAX_WARM_VARIANTS {
            return Err(Error::invalid(
                "htmlByPersona",
                format!(
                    "has {} variants, the limit is {MAX_WARM_VARIANTS}",
                    variants.len()
                ),
            ));
        }
        for (persona, html) in &variants {
            self.check_size(&format!("htmlByPersona['{persona}']"), html)?;
        }
        let recorded = fences::take_post(&self.namespace, post);
        if variants.is_empty() {
            return Ok(0);
        }
        match self.store(post, &variants, ttl_secs, 0, explicit.or(recorded), None)? {
            Stored::Yes => Ok(variants.len()),
            _ => Ok(0),
        }
    }

    /// Personas with a fresh variant of the post, sorted. One round trip.
    pub fn cached_personas(&self, post: PostId) -> Result<Vec<String>> {
        let post = post.get();
        let mut pipe = redis::pipe();
        pipe.cmd("MGET")
            .arg(self.keys.cache_generation(Keys::bucket(post)))
            .arg(self.keys.cache_version(post));
        pipe.cmd("HGETALL").arg(self.keys.cache_index(post));
        let (current, index): (Vec<Option<u64>>, Vec<(String, String)>) = self.client.run(
            Route::Bucket(Keys::bucket(post)),
            Retry::Idempotent,
            |con| pipe.query(con),
        )?;
        let (Some(Some(generation)), Some(Some(version))) = (current.first(), current.get(1))
        else {
            return Ok(Vec::new());
        };
        let now = now_ms();
        let mut personas: Vec<String> = index
            .into_iter()
            .filter(|(_, entry)| {
                let parts: Vec<Option<u64>> = entry.split(':').map(|p| p.parse().ok()).collect();
                matches!(
                    parts[..],
                    [Some(g), Some(v), Some(fresh_until), Some(_)]
                        if g == *generation && v == *version && now < fresh_until
                )
            })
            .map(|(persona, _)| persona)
            .collect();
        personas.sort();
        Ok(personas)
    }

    /// Counts a view of `post` for the popularity ranking (no I/O now).
    pub fn record_view(&self, post: PostId) {
        counters::record(&self.client, Event::View(post.get()));
    }

    /// The most viewed posts (at most `limit`, 1 to 1000), most viewed
    /// first: (post id, views).
    pub fn popular(&self, limit: i64) -> Result<Vec<(u64, u64)>> {
        counters::popular(&self.client, &self.keys, limit)
    }

    /// Per-day counters for the last `days` days (1 to 90, UTC), oldest first.
    pub fn stats(&self, days: i64) -> Result<Vec<(String, counters::DayCounts)>> {
        counters::stats(&self.client, &self.keys, days)
    }
}
