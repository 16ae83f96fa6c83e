//! Storing variants: a plain pipeline when the generation and post version
//! are known, the store script otherwise.
//!
//! Why a pipeline is enough. Readers serve a variant only when its stamp
//! equals the generation and version they fetch in the same `MGET`
//! (entry.rs). So a variant stamped with values that have moved on is never
//! served: storing it is wasted memory (bounded by its TTL), never stale
//! content. The store script's atomic check is therefore needed only to
//! create missing generation or version keys (from the server clock, never
//! a value used before) and to release a render lock; when both values are
//! known (a fence from `get`/`observe`, or what this object last saw for
//! the post), one pipeline does the job with native commands:
//!
//! ```text
//! MGET generation version        -> did they move? (the answer to the caller)
//! SET variant stamp‖body PX ttl  (per variant)
//! HSET index persona entry …     (all variants)
//! PEXPIRE index ttl NX           (an index the HSET just created)
//! PEXPIRE index/generation/version ttl·9/8 GT   (only every ttl/8, see Known)
//! ```
//!
//! Measured on a host where PHP and Redis share a CPU, each `redis.call`
//! inside a script costs 1-2 µs (benches/RESULTS.md), so `set` and `warm`
//! spend most of their server time in the script; the pipeline's commands
//! cost a fraction of that. An invalidation that lands between the `MGET`
//! and the `SET` leaves an unreachable variant and a `true` answer, the
//! same as if it had landed just after the store. When a guess (no fence)
//! turns out wrong, the script runs after all: a second round trip, only
//! after the post changed.

use super::entry::{self, Encoded, Times};
use super::fences::Fence;
use super::scripts::STORE;
use super::{counters, Event, PersonaCache, Stored};
use crate::clock::now_ms;
use crate::error::Result;
use crate::keys::Keys;
use crate::kv::MAX_TTL_SECS;
use crate::pool::Retry;
use crate::route::Route;

/// How many posts' generation and version one cache object remembers.
const KNOWN_POSTS: usize = 4096;

/// What this object knows of a post: its generation and version, and until
/// when (ms) it made sure they and the post's index live (0: not known).
/// While a new variant expires before that, the pipeline skips extending
/// them; it extends them by an eighth more than asked, so that holds for
/// an eighth of the TTL. They change only with the values, and then the
/// variants stamped with the old values are unreachable anyway.
#[derive(Debug, Clone, Copy)]
pub(super) struct Known {
    fence: Fence,
    alive_until_ms: u64,
}

impl PersonaCache {
    /// Remembers the generation and version just seen for `post` (both
    /// present), for stores without a fence.
    pub(super) fn remember_known(&self, post: u64, fence: Fence) {
        if fence.generation == 0 || fence.version == 0 {
            return;
        }
        let mut known = self.known.lock();
        if known.len() >= KNOWN_POSTS && !known.contains_key(&post) {
            known.clear();
        }
        let alive_until_ms = match known.get(&post) {
            Some(k) if k.fence == fence => k.alive_until_ms,
            _ => 0,
        };
        known.insert(
            post,
            Known {
                fence,
                alive_until_ms,
            },
        );
    }

    fn forget_known(&self, post: u64) {
        self.known.lock().remove(&post);
    }

    /// Stores variants in one round trip, whatever their number (two when a
    /// guessed generation or version turned out to be stale). Without a
    /// fence the values join the current generation and version.
    pub(super) fn store(
        &self,
        post: u64,
        variants: &[(&str, &[u8])],
        ttl_secs: u64,
        render_ms: u32,
        fence: Option<Fence>,
        lock_token: Option<&str>,
    ) -> Result<Stored> {
        let stale_secs = self
            .config
            .stale_ttl_secs
            .min((MAX_TTL_SECS as u64).saturating_sub(ttl_secs));
        let now = now_ms();
        let times = Times {
            fresh_until_ms: now + ttl_secs * 1000,
            stale_until_ms: now + (ttl_secs + stale_secs) * 1000,
            render_ms,
        };
        let ttl_ms = (ttl_secs + stale_secs) * 1000;
        let encoded: Vec<(&str, Encoded)> = variants
            .iter()
            .map(|(persona, html)| {
                let e = entry::encode(html, &times, self.config.compress_min_bytes);
                (*persona, e)
            })
            .collect();
        let known = |f: &Fence| f.generation != 0 && f.version != 0;
        let guess = match fence {
            Some(f) => Some(f).filter(known),
            None => self.known.lock().get(&post).map(|k| k.fence),
        };
        let outcome = match (guess, lock_token) {
            (Some(seen), None) => {
                let fenced = fence.is_some();
                match self.store_pipelined(post, &encoded, ttl_ms, &times, seen, fenced)? {
                    Some(stored) => stored,
                    // The guess was stale: store under the current values.
                    None => self.store_scripted(post, &encoded, ttl_ms, &times, None, None)?,
                }
            }
            _ => self.store_scripted(post, &encoded, ttl_ms, &times, fence, lock_token)?,
        };
        if outcome == Stored::Yes {
            for (_, e) in &encoded {
                counters::record(
                    &self.client,
                    Event::Stored {
                        raw_bytes: e.raw_len,
                        stored_bytes: e.bytes.len() + entry::STAMP_LEN,
                    },
                );
            }
        }
        Ok(outcome)
    }

    /// The pipeline (see the module docs). Some(outcome) when the values
    /// were `seen`'s, or were not and `seen` is the caller's fence; None
    /// when a guess (`fenced` false) was stale: nothing usable was stored.
    fn store_pipelined(
        &self,
        post: u64,
        encoded: &[(&str, Encoded)],
        ttl_ms: u64,
        times: &Times,
        seen: Fence,
        fenced: bool,
    ) -> Result<Option<Stored>> {
        let generation_key = self.keys.cache_generation(Keys::bucket(post));
        let version_key = self.keys.cache_version(post);
        let index = self.keys.cache_index(post);
        let stamp = entry::stamp(seen.generation, seen.version);
        let index_entry = format!(
            "{}:{}:{}:{}",
            seen.generation, seen.version, times.fresh_until_ms, times.stale_until_ms
        );
        let mut pipe = redis::pipe();
        pipe.cmd("MGET").arg(&generation_key).arg(&version_key);
        for (persona, e) in encoded {
            let mut value = Vec::with_capacity(stamp.len() + e.bytes.len());
            value.extend_from_slice(stamp.as_bytes());
            value.extend_from_slice(&e.bytes);
            pipe.cmd("SET")
                .arg(self.keys.cache_variant(post, persona))
                .arg(value)
                .arg("PX")
                .arg(ttl_ms)
                .ignore();
        }
        let hset = pipe.cmd("HSET").arg(&index);
        for (persona, _) in encoded {
            hset.arg(*persona).arg(&index_entry);
        }
        hset.ignore();
        // An index recreated by the HSET (evicted meanwhile) gets a TTL.
        pipe.cmd("PEXPIRE")
            .arg(&index)
            .arg(ttl_ms)
            .arg("NX")
            .ignore();
        let now = now_ms();
        let alive_until_ms = match self.known.lock().get(&post) {
            Some(k) if k.fence == seen => k.alive_until_ms,
            _ => 0,
        };
        let extend = now + ttl_ms > alive_until_ms;
        let longer = (ttl_ms + ttl_ms / 8).min(MAX_TTL_SECS as u64 * 1000);
        if extend {
            for key in [&index, &generation_key, &version_key] {
                pipe.cmd("PEXPIRE").arg(key).arg(longer).arg("GT").ignore();
            }
        }
        let (current,): (Vec<Option<u64>>,) =
            self.client
                .run(Route::Bucket(Keys::bucket(post)), Retry::Once, |con| {
                    pipe.query(con)
                })?;
        let generation = current.first().copied().flatten().unwrap_or(0);
        let version = current.get(1).copied().flatten().unwrap_or(0);
        if generation == seen.generation && version == seen.version {
            if extend {
                if let Some(k) = self.known.lock().get_mut(&post) {
                    if k.fence == seen {
                        k.alive_until_ms = now + longer;
                    }
                }
            }
            return Ok(Some(Stored::Yes));
        }
        self.forget_known(post);
        if !fenced {
            return Ok(None);
        }
        Ok(Some(if generation != seen.generation {
            Stored::Flushed
        } else {
            Stored::Invalidated
        }))
    }

    /// Runs the store script (see scripts.rs).
    fn store_scripted(
        &self,
        post: u64,
        encoded: &[(&str, Encoded)],
        ttl_ms: u64,
        times: &Times,
        fence: Option<Fence>,
        lock_token: Option<&str>,
    ) -> Result<Stored> {
        let mut invocation = STORE.prepare_invoke();
        invocation
            .key(self.keys.cache_generation(Keys::bucket(post)))
            .key(self.keys.cache_version(post))
            .key(self.keys.cache_index(post))
            // Without a token the script never touches the lock key; any
            // key of the post's slot will do.
            .key(match (lock_token, encoded.first()) {
                (Some(_), Some((persona, _))) => self.keys.cache_lock(post, persona),
                _ => self.keys.cache_lock(post, "-"),
            })
            .arg(fence.map_or(String::new(), |f| f.generation.to_string()))
            .arg(fence.map_or(String::new(), |f| f.version.to_string()))
            .arg(ttl_ms)
            .arg(lock_token.unwrap_or(""))
            .arg(format!("{}:{}", times.fresh_until_ms, times.stale_until_ms));
        for (persona, e) in encoded {
            invocation
                .key(self.keys.cache_variant(post, persona))
                .arg(*persona)
                .arg(e.bytes.as_slice());
        }
        let reply: Vec<i64> =
            self.client
                .run(Route::Bucket(Keys::bucket(post)), Retry::Once, |con| {
                    invocation.invoke(con)
                })?;
        Ok(match reply.as_slice() {
            [1, generation, version] => {
                self.remember_known(
                    post,
                    Fence {
                        generation: *generation as u64,
                        version: *version as u64,
                    },
                );
                Stored::Yes
            }
            [0] => Stored::Flushed,
            _ => Stored::Invalidated,
        })
    }
}
