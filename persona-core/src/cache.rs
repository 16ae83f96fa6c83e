//! The persona content cache: one pre-rendered HTML variant per (post,
//! persona), with a fresh TTL, a stale window, single-flight rendering and
//! probabilistic early refresh.
//!
//! Reads. A lookup is one pipeline in the post's bucket: the bucket's
//! generation and the post's version (`MGET`) and the variant (`HGET`). A
//! variant counts only if it was written in the current generation (a flush
//! bumps the generation: O(1), and every older variant becomes unreachable
//! at once) and is not past its stale window.
//!
//! Writes are fenced. A writer passes the generation and post version it saw
//! before rendering; the store script refuses the write if either moved (a
//! flush or `invalidatePost` happened meanwhile), so a render that started
//! before an invalidation can never put stale content back. `get` records
//! what a miss saw, so the classic "get, miss, render, set" sequence is
//! fenced too (for [`FENCE_WINDOW`]).
//!
//! Process model: the table of fences and last-seen generations is per
//! process and dropped on fork; nothing here keeps a connection between
//! calls (the pool does), and no lock is held while a render runs, so a
//! render may use the cache itself.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::Script;

use crate::client::Client;
use crate::clock::now_ms;
use crate::config::OptionValue;
use crate::counters::{self, Event};
use crate::entry::{self, Freshness, Meta};
use crate::error::{Error, Result};
use crate::keys::{self, Keys, CACHE_BUCKETS};
use crate::kv::MAX_TTL_SECS;
use crate::options::{choice_option, float_option, int_option, option_argument, unknown_option};
use crate::pool::Retry;

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

/// Stores variants if the generation (and, when given, the post version)
/// are still what the writer saw; extends the index's TTL to the longest
/// variant's; releases the writer's render lock if it holds it.
///
/// KEYS: generation, version, index, lock, then one variant key per variant.
/// ARGV: generation, version or "", ttl ms, lock token or "", then
/// (persona, encoded value, index entry) per variant.
/// Returns {1, generation} stored, {0, generation} flushed meanwhile,
/// {-1, generation} invalidated meanwhile.
static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local gen = redis.call('GET', KEYS[1]) or '0'
local status = 1
if gen ~= ARGV[1] then
  status = 0
elseif ARGV[2] ~= '' and (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then
  status = -1
end
if status == 1 then
  local ttl = tonumber(ARGV[3])
  for k = 5, #KEYS do
    local a = 5 + (k - 5) * 3
    redis.call('SET', KEYS[k], ARGV[a + 1], 'PX', ttl)
    redis.call('HSET', KEYS[3], ARGV[a], ARGV[a + 2])
  end
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) == ARGV[4] then
  redis.call('DEL', KEYS[4])
end
return {status, gen}
",
    )
});

/// Compare-and-delete of a render lock. KEYS: lock. ARGV: token.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    )
});

#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    pub ttl_secs: u64,
    pub stale_ttl_secs: u64,
    pub max_bytes: usize,
    /// None: never compress.
    pub compress_min_bytes: Option<usize>,
    pub beta: f64,
    pub lock_ttl: Duration,
    pub lock_wait: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl_secs: DEFAULT_TTL_SECS,
            stale_ttl_secs: DEFAULT_STALE_TTL_SECS,
            max_bytes: DEFAULT_MAX_BYTES as usize,
            compress_min_bytes: Some(DEFAULT_COMPRESS_MIN_BYTES as usize),
            beta: DEFAULT_BETA,
            lock_ttl: Duration::from_millis(DEFAULT_LOCK_TTL_MS),
            lock_wait: Duration::from_millis(DEFAULT_LOCK_TTL_MS + 1000),
        }
    }
}

impl CacheConfig {
    /// Builds the configuration from `PersonaCache`'s options array.
    pub fn build(options: &[(String, OptionValue)]) -> Result<CacheConfig> {
        let mut c = CacheConfig::default();
        let max_ttl = MAX_TTL_SECS as u64;
        let mut compression = "lz4";
        let mut compress_min = DEFAULT_COMPRESS_MIN_BYTES;
        let mut lock_wait_ms = None;
        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "ttl" => c.ttl_secs = int_option(&arg, value, 1, max_ttl, c.ttl_secs)?,
                "stale_ttl" => {
                    c.stale_ttl_secs = int_option(&arg, value, 1, max_ttl, c.stale_ttl_secs)?;
                }
                "max_bytes" => {
                    c.max_bytes =
                        int_option(&arg, value, 1, MAX_MAX_BYTES, c.max_bytes as u64)? as usize;
                }
                "compress_min_bytes" => {
                    compress_min = int_option(&arg, value, 1, MAX_MAX_BYTES, compress_min)?;
                }
                "compression" => compression = choice_option(&arg, value, &["lz4", "none"], "lz4")?,
                "beta" => c.beta = float_option(&arg, value, 0.0, 100.0, DEFAULT_BETA)?,
                "lock_ttl_ms" => {
                    let ms = int_option(&arg, value, 100, 300_000, DEFAULT_LOCK_TTL_MS)?;
                    c.lock_ttl = Duration::from_millis(ms);
                }
                "lock_wait_ms" => lock_wait_ms = Some(int_option(&arg, value, 1, 300_000, 0)?),
                _ => return Err(unknown_option(arg, OPTION_NAMES)),
            }
        }
        c.compress_min_bytes = (compression == "lz4").then_some(compress_min as usize);
        // Waiting a little longer than the lock lives lets a waiter take over
        // from a winner that died.
        c.lock_wait = match lock_wait_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => c.lock_ttl + Duration::from_millis(1000),
        };
        Ok(c)
    }
}

/// What a pending render saw before it started; its store must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    pub generation: u64,
    pub version: u64,
}

/// Result of a store attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// The cache was flushed after the writer looked.
    Flushed,
    /// The post was invalidated after the writer looked.
    Invalidated,
}

/// How `remember` answered, for counters and response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Hit,
    /// Past its fresh TTL; someone else is refreshing it.
    Stale,
    /// Rendered by this caller.
    Rendered,
    /// Rendered by this caller because Redis was unavailable (not stored).
    Bypass,
}

impl Served {
    pub fn as_str(self) -> &'static str {
        match self {
            Served::Hit => "hit",
            Served::Stale => "stale",
            Served::Rendered => "miss",
            Served::Bypass => "bypass",
        }
    }
}

/// Why `remember` failed: the render itself, or an argument.
#[derive(Debug)]
pub enum RememberError<E> {
    Render(E),
    Cache(Error),
}

/// One read of a variant's slot: generation, post version and the value.
struct Slot {
    fence: Fence,
    value: Option<Vec<u8>>,
    lock_held: bool,
}

/// Per-process memory of the last generation seen per bucket (so a plain
/// `set` usually needs no retry) and of the fences of recent misses.
#[derive(Default)]
struct ProcessState {
    pid: u32,
    generations: HashMap<String, [Option<u64>; CACHE_BUCKETS as usize]>,
    fences: HashMap<(String, u64, String), (Fence, Instant)>,
}

static STATE: LazyLock<Mutex<ProcessState>> = LazyLock::new(|| Mutex::new(ProcessState::default()));

fn with_state<T>(f: impl FnOnce(&mut ProcessState) -> T) -> T {
    let mut state = STATE.lock();
    let pid = crate::process::pid();
    if state.pid != pid {
        *state = ProcessState {
            pid,
            ..ProcessState::default()
        };
    }
    f(&mut state)
}

pub struct PersonaCache {
    client: Arc<Client>,
    keys: Keys,
    namespace: String,
    config: CacheConfig,
}

impl PersonaCache {
    pub fn new(client: Arc<Client>, config: CacheConfig) -> PersonaCache {
        let keys = Keys::new(client.prefix());
        let namespace = client.namespace().to_owned();
        PersonaCache {
            client,
            keys,
            namespace,
            config,
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.client
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

    /// One command: generation, version, the variant and (for `remember`)
    /// the render lock, all in the post's slot.
    fn read(&self, post: u64, persona: &str, with_lock: bool) -> Result<Slot> {
        let bucket = Keys::bucket(post);
        let mut mget = redis::cmd("MGET");
        mget.arg(self.keys.cache_generation(bucket))
            .arg(self.keys.cache_version(post))
            .arg(self.keys.cache_variant(post, persona));
        if with_lock {
            mget.arg(self.keys.cache_lock(post, persona));
        }
        let mut reply: Vec<Option<Vec<u8>>> =
            self.client.run(Retry::Idempotent, |con| mget.query(con))?;
        let number = |v: Option<Vec<u8>>| -> u64 {
            v.and_then(|b| std::str::from_utf8(&b).ok()?.parse().ok())
                .unwrap_or(0)
        };
        let lock_held = with_lock && reply.pop().flatten().is_some();
        let value = reply.pop().flatten();
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

    /// Decodes a variant if it belongs to the current generation and is not
    /// past its stale window.
    fn usable(&self, slot: &Slot, now: u64) -> Option<(Meta, Freshness, Vec<u8>)> {
        let bytes = slot.value.as_deref()?;
        let meta = entry::meta(bytes)?;
        if meta.generation != slot.fence.generation {
            return None;
        }
        let freshness = meta.freshness(now);
        if freshness == Freshness::Expired {
            return None;
        }
        let html = entry::html(bytes, MAX_MAX_BYTES as usize)?;
        Some((meta, freshness, html))
    }

    fn remember_generation(&self, bucket: u64, generation: u64) {
        with_state(|s| {
            let slots = s.generations.entry(self.namespace.clone()).or_default();
            slots[bucket as usize] = Some(generation);
        });
    }

    fn known_generation(&self, bucket: u64) -> u64 {
        with_state(|s| {
            s.generations
                .get(&self.namespace)
                .and_then(|slots| slots[bucket as usize])
                .unwrap_or(0)
        })
    }

    fn fence_key(&self, post: u64, persona: &str) -> (String, u64, String) {
        (self.namespace.clone(), post, persona.to_owned())
    }

    fn record_fence(&self, post: u64, persona: &str, fence: Fence) {
        with_state(|s| {
            if s.fences.len() >= 1024 {
                s.fences.retain(|_, (_, at)| at.elapsed() < FENCE_WINDOW);
                if s.fences.len() >= 1024 {
                    s.fences.clear();
                }
            }
            s.fences
                .insert(self.fence_key(post, persona), (fence, Instant::now()));
        });
    }

    fn take_fence(&self, post: u64, persona: &str) -> Option<Fence> {
        with_state(|s| s.fences.remove(&self.fence_key(post, persona)))
            .and_then(|(fence, at)| (at.elapsed() < FENCE_WINDOW).then_some(fence))
    }

    /// The fresh HTML of a variant, or None. One round trip.
    pub fn get(&self, post: u64, persona: &str) -> Result<Option<Vec<u8>>> {
        let slot = self.read(post, persona, false)?;
        match self.usable(&slot, now_ms()) {
            Some((_, Freshness::Fresh, html)) => {
                counters::record(&self.client, Event::Hit);
                Ok(Some(html))
            }
            _ => {
                counters::record(&self.client, Event::Miss);
                self.remember_generation(Keys::bucket(post), slot.fence.generation);
                self.record_fence(post, persona, slot.fence);
                Ok(None)
            }
        }
    }

    /// Stores a variant for `ttl_secs` (plus the stale window). Returns false
    /// when a flush or invalidation happened since this process's last `get`
    /// miss of the same variant: that HTML may be stale and is not stored.
    pub fn set(&self, post: u64, persona: &str, html: &[u8], ttl_secs: u64) -> Result<bool> {
        self.check_size("html", html)?;
        let fence = self.take_fence(post, persona);
        let outcome = self.store(post, &[(persona, html)], ttl_secs, 0, fence, None)?;
        Ok(outcome == Stored::Yes)
    }

    /// Stores every variant of a post in one round trip; returns how many.
    pub fn warm(&self, post: u64, variants: &[(&str, &[u8])], ttl_secs: u64) -> Result<usize> {
        if variants.len() > MAX_WARM_VARIANTS {
            return Err(Error::invalid(
                "htmlByPersona",
                format!(
                    "has {} variants, the limit is {MAX_WARM_VARIANTS}",
                    variants.len()
                ),
            ));
        }
        for (persona, html) in variants {
            self.check_size(&format!("htmlByPersona['{persona}']"), html)?;
        }
        if variants.is_empty() {
            return Ok(0);
        }
        match self.store(post, variants, ttl_secs, 0, None, None)? {
            Stored::Yes => Ok(variants.len()),
            _ => Ok(0),
        }
    }

    /// Runs the store script. Without a fence the generation is this
    /// process's last-seen one; if a flush moved it, the values are
    /// re-encoded for the new generation and stored (one retry).
    fn store(
        &self,
        post: u64,
        variants: &[(&str, &[u8])],
        ttl_secs: u64,
        render_ms: u32,
        fence: Option<Fence>,
        lock_token: Option<&str>,
    ) -> Result<Stored> {
        let bucket = Keys::bucket(post);
        let mut generation = match fence {
            Some(f) => f.generation,
            None => self.known_generation(bucket),
        };
        let stale_secs = self
            .config
            .stale_ttl_secs
            .min((MAX_TTL_SECS as u64).saturating_sub(ttl_secs));
        for attempt in 0..2 {
            let now = now_ms();
            let meta = Meta {
                generation,
                fresh_until_ms: now + ttl_secs * 1000,
                stale_until_ms: now + (ttl_secs + stale_secs) * 1000,
                render_ms,
            };
            let encoded: Vec<(&str, entry::Encoded)> = variants
                .iter()
                .map(|(persona, html)| {
                    (
                        *persona,
                        entry::encode(html, &meta, self.config.compress_min_bytes),
                    )
                })
                .collect();
            let index_entry = format!(
                "{generation}:{}:{}",
                meta.fresh_until_ms, meta.stale_until_ms
            );
            let mut invocation = STORE.prepare_invoke();
            invocation
                .key(self.keys.cache_generation(bucket))
                .key(self.keys.cache_version(post))
                .key(self.keys.cache_index(post))
                // Without a token the script never touches the lock key;
                // any key of the post's slot will do.
                .key(match (lock_token, variants.first()) {
                    (Some(_), Some((persona, _))) => self.keys.cache_lock(post, persona),
                    _ => self.keys.cache_lock(post, "-"),
                })
                .arg(generation)
                .arg(fence.map_or(String::new(), |f| f.version.to_string()))
                .arg((ttl_secs + stale_secs) * 1000)
                .arg(lock_token.unwrap_or(""));
            for (persona, e) in &encoded {
                invocation
                    .key(self.keys.cache_variant(post, persona))
                    .arg(*persona)
                    .arg(e.bytes.as_slice())
                    .arg(&index_entry);
            }
            let (status, current): (i64, u64) =
                self.client.run(Retry::Once, |con| invocation.invoke(con))?;
            self.remember_generation(bucket, current);
            match status {
                1 => {
                    for (_, e) in &encoded {
                        counters::record(
                            &self.client,
                            Event::Stored {
                                raw_bytes: e.raw_len,
                                stored_bytes: e.bytes.len(),
                            },
                        );
                    }
                    return Ok(Stored::Yes);
                }
                0 if fence.is_none() && attempt == 0 => generation = current,
                0 => return Ok(Stored::Flushed),
                _ => return Ok(Stored::Invalidated),
            }
        }
        Ok(Stored::Flushed)
    }

    /// Personas with a fresh variant of the post, sorted.
    pub fn cached_personas(&self, post: u64) -> Result<Vec<String>> {
        let mut pipe = redis::pipe();
        pipe.cmd("GET")
            .arg(self.keys.cache_generation(Keys::bucket(post)));
        pipe.cmd("HGETALL").arg(self.keys.cache_index(post));
        let (generation, index): (Option<u64>, Vec<(String, String)>) =
            self.client.run(Retry::Idempotent, |con| pipe.query(con))?;
        let generation = generation.unwrap_or(0);
        let now = now_ms();
        let mut personas: Vec<String> = index
            .into_iter()
            .filter(|(_, entry)| {
                let mut parts = entry.split(':').map(|p| p.parse::<u64>().ok());
                matches!(
                    (parts.next(), parts.next()),
                    (Some(Some(g)), Some(Some(fresh_until))) if g == generation && now < fresh_until
                )
            })
            .map(|(persona, _)| persona)
            .collect();
        personas.sort();
        Ok(personas)
    }

    fn try_lock(&self, post: u64, persona: &str) -> Result<Option<String>> {
        let token = crate::token::random_hex(16)?;
        let key = self.keys.cache_lock(post, persona);
        let ms = self.config.lock_ttl.as_millis() as u64;
        let acquired: Option<String> = self.client.run(Retry::Once, |con| {
            redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(con)
        })?;
        Ok(acquired.map(|_| token))
    }

    fn release(&self, post: u64, persona: &str, token: &str) {
        let key = self.keys.cache_lock(post, persona);
        let released = self.client.run(Retry::Once, |con| {
            RELEASE.key(&key).arg(token).invoke::<i64>(con)
        });
        if let Err(e) = released {
            log::info!("redis-persona: render lock {key} not released (it expires): {e}");
        }
    }

    /// The HTML of a variant, rendering it with `render` on a miss: once
    /// across all processes and servers (single flight), serving the stale
    /// value to everyone but the one refresher, and refreshing hot keys
    /// early (XFetch). When Redis is unavailable the render runs directly.
    pub fn remember<E>(
        &self,
        post: u64,
        persona: &str,
        ttl_secs: u64,
        mut render: impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, Served), RememberError<E>> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let slot = match self.read(post, persona, true) {
                Ok(slot) => slot,
                Err(e) => return self.bypass(e, &mut render),
            };
            let now = now_ms();
            let current = self.usable(&slot, now);
            let wants_refresh = match &current {
                Some((meta, Freshness::Fresh, _)) => {
                    meta.refresh_early(now, self.config.beta, 1.0 - fastrand::f64())
                }
                Some(_) => true,
                None => true,
            };
            if !wants_refresh {
                counters::record(&self.client, Event::Hit);
                return Ok((current.map(|c| c.2).unwrap_or_default(), Served::Hit));
            }
            // Someone must render. Only one caller gets the lock; with a
            // usable value in hand the others serve it without waiting.
            let token = if slot.lock_held {
                None
            } else {
                match self.try_lock(post, persona) {
                    Ok(token) => token,
                    Err(e) => return self.bypass(e, &mut render),
                }
            };
            match (token, current) {
                (Some(token), _) => {
                    return self.render_and_store(
                        post,
                        persona,
                        ttl_secs,
                        slot.fence,
                        &token,
                        &mut render,
                    );
                }
                (None, Some((_, freshness, html))) => {
                    counters::record(&self.client, Event::Hit);
                    let served = if freshness == Freshness::Fresh {
                        Served::Hit
                    } else {
                        Served::Stale
                    };
                    return Ok((html, served));
                }
                (None, None) => {
                    if started.elapsed() >= self.config.lock_wait {
                        log::warn!(
                            "redis-persona: waited {} ms for another render of post {post} ({persona}); rendering here",
                            started.elapsed().as_millis()
                        );
                        return self.render_unlocked(
                            post,
                            persona,
                            ttl_secs,
                            slot.fence,
                            &mut render,
                        );
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(25));
                }
            }
        }
    }

    fn render_timed<E>(
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, u32), E> {
        let start = Instant::now();
        let html = render()?;
        Ok((
            html,
            start.elapsed().as_millis().min(u128::from(u32::MAX)) as u32,
        ))
    }

    fn render_and_store<E>(
        &self,
        post: u64,
        persona: &str,
        ttl_secs: u64,
        fence: Fence,
        token: &str,
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, Served), RememberError<E>> {
        let (html, render_ms) = match Self::render_timed(render) {
            Ok(done) => done,
            Err(e) => {
                self.release(post, persona, token);
                return Err(RememberError::Render(e));
            }
        };
        counters::record(&self.client, Event::Miss);
        if let Err(e) = self.check_size("render result", &html) {
            log::warn!("redis-persona: post {post} ({persona}) not cached: {e}");
            self.release(post, persona, token);
            return Ok((html, Served::Rendered));
        }
        match self.store(
            post,
            &[(persona, &html)],
            ttl_secs,
            render_ms,
            Some(fence),
            Some(token),
        ) {
            Ok(Stored::Yes) => {}
            Ok(other) => {
                log::debug!("redis-persona: post {post} ({persona}) not stored: {other:?}")
            }
            Err(e) => log::info!("redis-persona: post {post} ({persona}) not stored: {e}"),
        }
        Ok((html, Served::Rendered))
    }

    fn render_unlocked<E>(
        &self,
        post: u64,
        persona: &str,
        ttl_secs: u64,
        fence: Fence,
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, Served), RememberError<E>> {
        let (html, render_ms) = Self::render_timed(render).map_err(RememberError::Render)?;
        counters::record(&self.client, Event::Miss);
        if self.check_size("render result", &html).is_ok() {
            let _ = self.store(
                post,
                &[(persona, &html)],
                ttl_secs,
                render_ms,
                Some(fence),
                None,
            );
        }
        Ok((html, Served::Rendered))
    }

    /// Redis is unavailable: render without the cache. Only argument errors
    /// (which cannot happen here) would be worth throwing.
    fn bypass<E>(
        &self,
        error: Error,
        render: &mut impl FnMut() -> std::result::Result<Vec<u8>, E>,
    ) -> std::result::Result<(Vec<u8>, Served), RememberError<E>> {
        if matches!(error, Error::InvalidArgument { .. }) {
            return Err(RememberError::Cache(error));
        }
        if error.connection_kind() == Some(crate::error::ConnectionKind::BreakerOpen) {
            log::debug!("redis-persona: cache bypassed: {error}");
        } else {
            log::warn!("redis-persona: cache bypassed: {error}");
        }
        let html = render().map_err(RememberError::Render)?;
        Ok((html, Served::Bypass))
    }

    /// Counts a view of `post` for the popularity ranking (no I/O now).
    pub fn record_view(&self, post: u64) {
        counters::record(&self.client, Event::View(post));
    }

    /// The most viewed posts (at most `limit`, 1 to 1000), most viewed
    /// first: (post id, views).
    pub fn popular(&self, limit: i64) -> Result<Vec<(u64, u64)>> {
        let limit = crate::options::int_in_range("limit", limit, 1, 1000, "")?;
        counters::flush(&self.client)?;
        let key = self.keys.stats_views();
        let ranked: Vec<(u64, f64)> = self.client.run(Retry::Idempotent, |con| {
            redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(limit.saturating_sub(1))
                .arg("REV")
                .arg("WITHSCORES")
                .query(con)
        })?;
        Ok(ranked.into_iter().map(|(p, s)| (p, s as u64)).collect())
    }

    /// Per-day counters for the last `days` days (1 to 90, UTC), oldest
    /// first, after writing out this process's pending counts.
    pub fn stats(&self, days: i64) -> Result<Vec<(String, counters::DayCounts)>> {
        let days = crate::options::int_in_range("days", days, 1, 90, "")?;
        counters::flush(&self.client)?;
        let today = crate::clock::day_number(now_ms());
        let dates: Vec<String> = (0..days as i64)
            .rev()
            .map(|back| crate::clock::iso_date(today - back))
            .collect();
        let mut pipe = redis::pipe();
        for date in &dates {
            pipe.cmd("HMGET")
                .arg(self.keys.stats_day(date))
                .arg(counters::DayCounts::field_names());
        }
        let rows: Vec<Vec<Option<u64>>> =
            self.client.run(Retry::Idempotent, |con| pipe.query(con))?;
        Ok(dates
            .into_iter()
            .zip(rows)
            .map(|(date, values)| (date, counters::DayCounts::from_values(&values)))
            .collect())
    }
}

/// Validates `(postId, persona)` arguments.
pub fn validate_target(post: i64, persona: &[u8]) -> Result<(u64, &str)> {
    let post = keys::validate_post_id("postId", post)?;
    let persona = keys::validate_persona("persona", persona)?;
    Ok((post, persona))
}
