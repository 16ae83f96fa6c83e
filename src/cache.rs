//! `RedisPersona\PersonaCache`: the PHP face of `persona_core::PersonaCache`.
//!
//! Parameters are named in camelCase because ext-php-rs takes PHP parameter
//! names (used by named arguments and Reflection) from the Rust identifiers.
//!
//! `lastError()` returns the exception `remember()` swallowed, built when it
//! was swallowed: thrown through the normal mapping (so it has the class,
//! file, line and trace any thrown exception would have) and caught at once.
#![allow(non_snake_case)]

use std::cell::RefCell;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::flags::{ClassFlags, DataType};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendCallable, ZendHashTable, Zval};
use ext_php_rs::zend::ExecutorGlobals;
use parking_lot::Mutex;
use persona_core::cache::{CacheConfig, RememberError};
use persona_core::Served;
use persona_core::{Persona, PostId};

use crate::args::{read_array, Bytes, Int, Options};
use crate::build_array::{Arr, List};
use crate::client::Client;
use crate::errors::{to_php, OrThrow, EXCEPTION};

/// A `RedisPersona\Exception` object, returned as such to Reflection.
pub struct ExceptionObject(Zval);

impl IntoZval for ExceptionObject {
    const TYPE: DataType = DataType::object(EXCEPTION);
    const NULLABLE: bool = false;

    fn set_zval(self, zv: &mut Zval, _persistent: bool) -> ext_php_rs::error::Result<()> {
        *zv = self.0;
        Ok(())
    }
}

/// The PHP exception object for a core error, as if thrown here, without
/// leaving it thrown. An exception already pending (a render callback
/// threw) stays pending.
fn exception_object(error: persona_core::Error) -> Option<Zval> {
    let pending = ExecutorGlobals::take_exception();
    to_php(error).throw();
    let ours = ExecutorGlobals::take_exception();
    if let Some(pending) = pending {
        if let Ok(zval) = pending.into_zval(false) {
            let _ = ext_php_rs::exception::throw_object(zval);
        }
    }
    ours.and_then(|object| object.into_zval(false).ok())
}

/// Why a render callback produced no HTML.
enum RenderFailure {
    /// It threw; the exception is pending in the engine and propagates as is.
    Threw,
    /// It returned something that is not a string.
    NotAString(&'static str),
}

/// Pre-rendered persona variants of posts, with single-flight rendering.
#[php_class]
#[php(name = "RedisPersona\\PersonaCache", flags = ClassFlags::Final)]
pub struct PersonaCache {
    inner: persona_core::PersonaCache,
    /// How the last get()/remember() was answered, for lastStatus().
    last_status: Mutex<Option<Served>>,
    /// What the last get/set/remember/warm/observe swallowed, for lastError().
    last_error: RefCell<Option<Zval>>,
}

impl PersonaCache {
    /// Forgets the last swallowed error (a call that fails on its arguments
    /// swallowed nothing).
    fn reset_last_error(&self) {
        let old = self
            .last_error
            .try_borrow_mut()
            .ok()
            .and_then(|mut s| s.take());
        drop(old);
    }

    /// Mirrors the core's last swallowed error after a call.
    fn sync_last_error(&self) {
        let object = self.inner.last_error().and_then(exception_object);
        if let Ok(mut slot) = self.last_error.try_borrow_mut() {
            *slot = object;
        }
    }

    fn ttl(&self, ttl: Option<Int>) -> PhpResult<u64> {
        self.inner.ttl_or_default(ttl.map(|t| t.0)).or_throw()
    }

    fn target(post_id: Int, persona: &Bytes) -> PhpResult<(PostId, Persona)> {
        let post = Self::post(post_id)?;
        Ok((
            post,
            Persona::parse("persona", persona.as_slice()).or_throw()?,
        ))
    }

    fn post(post_id: Int) -> PhpResult<PostId> {
        PostId::parse("postId", post_id.0).or_throw()
    }
}

#[php_impl]
impl PersonaCache {
    /// Creates a cache on top of a client. No I/O.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(client: &Client, options: Options) -> PhpResult<Self> {
        let config = CacheConfig::build(&options.0).or_throw()?;
        Ok(PersonaCache {
            inner: persona_core::PersonaCache::new(client.core().clone(), config),
            last_status: Mutex::new(None),
            last_error: RefCell::new(None),
        })
    }

    /// The fresh HTML of a variant, or null. One round trip.
    pub fn get(&self, postId: Int, persona: Bytes) -> PhpResult<Option<Bytes>> {
        self.reset_last_error();
        let (post, persona) = Self::target(postId, &persona)?;
        let html = self.inner.get(post, &persona);
        self.sync_last_error();
        let html = html.or_throw()?;
        let served = if html.is_some() {
            Served::Hit
        } else {
            Served::Rendered
        };
        *self.last_status.lock() = Some(served);
        Ok(html.map(Bytes))
    }

    /// Stores a variant; false when it was not stored because the post was
    /// invalidated (or the cache flushed) since this process's last miss.
    pub fn set(
        &self,
        postId: Int,
        persona: Bytes,
        html: Bytes,
        ttl: Option<Int>,
    ) -> PhpResult<bool> {
        self.reset_last_error();
        let (post, persona) = Self::target(postId, &persona)?;
        let ttl = self.ttl(ttl)?;
        let stored = self.inner.set(post, &persona, html.as_slice(), ttl);
        self.sync_last_error();
        stored.or_throw()
    }

    /// The variant's HTML, rendered by `$render` on a miss (once across
    /// processes), stale-while-revalidate, refreshed early when hot.
    pub fn remember(
        &self,
        postId: Int,
        persona: Bytes,
        render: ZendCallable,
        ttl: Option<Int>,
    ) -> PhpResult<Bytes> {
        self.reset_last_error();
        let (post, persona) = Self::target(postId, &persona)?;
        let ttl = self.ttl(ttl)?;
        let outcome = self.inner.remember(post, &persona, ttl, || {
            let value: Zval = render.try_call(vec![]).map_err(|_| RenderFailure::Threw)?;
            match value.zend_str() {
                Some(s) => Ok(s.as_bytes().to_vec()),
                None => Err(RenderFailure::NotAString(crate::args::php_type_name(
                    &value,
                ))),
            }
        });
        self.sync_last_error();
        match outcome {
            Ok((html, served)) => {
                *self.last_status.lock() = Some(served);
                Ok(Bytes(html))
            }
            // The callback's exception is pending: returning lets it
            // propagate unchanged to the caller.
            Err(RememberError::Render(RenderFailure::Threw)) => Ok(Bytes::default()),
            Err(RememberError::Render(RenderFailure::NotAString(ty))) => Err(PhpException::new(
                format!("RedisPersona\\PersonaCache::remember(): the render callback must return a string, {ty} returned"),
                0,
                ext_php_rs::zend::ce::type_error(),
            )),
            Err(RememberError::Cache(e)) => Err(to_php(e)),
        }
    }

    /// One round trip: the post's fence token for warm(), also recorded in
    /// this process.
    pub fn observe(&self, postId: Int) -> PhpResult<String> {
        self.reset_last_error();
        let post = Self::post(postId)?;
        let token = self.inner.observe(post);
        self.sync_last_error();
        token.or_throw()
    }

    /// Stores every variant of a post in one round trip; returns how many
    /// (0 when the post was invalidated or the cache flushed since the fence).
    pub fn warm(
        &self,
        postId: Int,
        htmlByPersona: &ZendHashTable,
        ttl: Option<Int>,
        fence: Option<Bytes>,
    ) -> PhpResult<i64> {
        self.reset_last_error();
        let post = Self::post(postId)?;
        let ttl = self.ttl(ttl)?;
        let pairs = read_array::string_map("htmlByPersona", htmlByPersona).or_throw()?;
        let mut variants = Vec::with_capacity(pairs.len());
        for (persona, html) in &pairs {
            let persona = Persona::parse(
                &format!("htmlByPersona[{}]", persona_core::error::printable(persona)),
                persona,
            )
            .or_throw()?;
            variants.push((persona, html.as_slice()));
        }
        let fence = fence.as_ref().map(Bytes::as_slice);
        let stored = self.inner.warm(post, &variants, ttl, fence);
        self.sync_last_error();
        Ok(stored.or_throw()? as i64)
    }

    /// Personas with a fresh cached variant of the post, sorted.
    pub fn cached_personas(&self, postId: Int) -> PhpResult<Vec<String>> {
        let post = Self::post(postId)?;
        self.inner.cached_personas(post).or_throw()
    }

    /// Counts a view for the popularity ranking. No I/O now: counts are
    /// written at the end of the request.
    pub fn record_view(&self, postId: Int) -> PhpResult<()> {
        let post = Self::post(postId)?;
        self.inner.record_view(post);
        Ok(())
    }

    /// The most viewed posts: `[['post_id' => int, 'views' => int], ...]`.
    pub fn popular(&self, limit: Int) -> PhpResult<ZBox<ZendHashTable>> {
        let ranked = self.inner.popular(limit.0).or_throw()?;
        Ok(ranked
            .into_iter()
            .map(|(post, views)| {
                Arr::new()
                    .set("post_id", post as i64)
                    .set("views", views as i64)
                    .build()
            })
            .collect::<List>()
            .build())
    }

    /// Per-day counters, oldest first, today last.
    #[php(defaults(days = 7i64))]
    pub fn stats(&self, days: Int) -> PhpResult<ZBox<ZendHashTable>> {
        let rows = self.inner.stats(days.0).or_throw()?;
        Ok(rows
            .into_iter()
            .map(|(date, c)| {
                let lookups = c.hits + c.misses;
                let ratio = if lookups == 0 {
                    0.0
                } else {
                    c.hits as f64 / lookups as f64
                };
                let compression = if c.stored_bytes == 0 {
                    1.0
                } else {
                    c.raw_bytes as f64 / c.stored_bytes as f64
                };
                Arr::new()
                    .set("date", date)
                    .set("hits", c.hits as i64)
                    .set("misses", c.misses as i64)
                    .set("ratio", ratio)
                    .set("sets", c.sets as i64)
                    .set("raw_bytes", c.raw_bytes as i64)
                    .set("stored_bytes", c.stored_bytes as i64)
                    .set("compression_ratio", compression)
                    .build()
            })
            .collect::<List>()
            .build())
    }

    /// How the last `get` or `remember` of this object was answered: `hit`,
    /// `stale`, `miss` or `bypass` (Redis unavailable); null before any.
    pub fn last_status(&self) -> Option<&'static str> {
        self.last_status.lock().map(Served::as_str)
    }

    /// The exception the last get/set/remember/warm/observe swallowed
    /// (remember() renders without the cache when Redis cannot serve), or
    /// null.
    pub fn last_error(&self) -> Option<ExceptionObject> {
        let slot = self.last_error.try_borrow().ok()?;
        slot.as_ref()
            .map(|zval| ExceptionObject(zval.shallow_clone()))
    }
}
