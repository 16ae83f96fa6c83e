//! Invalidation: precise (a post, its dependents, a tag) and total (flush).
//!
//! Cost is proportional to what changed. Each post to invalidate gets, in
//! a script of its own slot on a cluster (on one server, in one script per
//! [`POSTS_PER_SCRIPT`] posts of a level): delete the variant keys its index
//! lists and the index, move the post's version to a value never used before (the write
//! fence that refuses renders begun before this moment, and what hides
//! variants the index no longer listed) and return the posts that depend on
//! it. Dependents are followed breadth-first, one pipelined round trip per
//! level, with a visited set, so cycles terminate. No `KEYS`, no `SCAN`: the
//! size of the rest of the keyspace does not matter.
//!
//! `flush` moves the generation of every bucket (one script per bucket, in
//! one pipeline); variants of older generations are never served again and
//! expire on their own TTL. Only the `c:` and `pg:` sub-namespaces'
//! generation keys are written, so locks, OTP and rate-limit state are
//! untouched.
//!
//! The full-page tier follows every invalidation (page/invalidate.rs): the
//! pages that recorded any post of the closure, or the tag, are dropped for
//! every variant and those posts and the tag are stamped, so a page rendered
//! before cannot be stored after; `flush` flushes the page tier in the same
//! round trip.
//!
//! New versions and generations are `max(old + 1, server clock in µs)`, made
//! odd: a key that expired or was evicted comes back with a value no variant
//! was ever stamped with (see cache/scripts.rs for the Lua number rules and
//! what the parity is for). All
//! these scripts run under `maxmemory` (`allow-oom`): they free memory, and
//! an edit must be able to hide stale content even when Redis is full.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use redis::Script;
use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::client::Client;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::ids::{PostId, Tag};
use crate::keys::{Keys, CACHE_BUCKETS};
use crate::page::invalidate as page_invalidate;
use crate::policy::keys::MAX_TTL_SECS;
use crate::pool::Retry;
use crate::route::Route;

/// One call may touch at most this many posts (ids in `dependsOn`, the
/// closure of an invalidation): a bound against runaway graphs.
pub const MAX_POSTS: usize = 10_000;
pub const MAX_TAGS: usize = 100;
/// The invalidation log keeps this many entries.
pub const LOG_LENGTH: isize = 200;
/// Relations (dependents, tags) live this long after they were last declared.
const RELATION_TTL_MS: i64 = MAX_TTL_SECS * 1000;

/// Posts per invalidation script on one server (on a cluster each post is
/// its own slot, so its own script): the per-script cost (set-up, `TIME`)
/// is paid once per level instead of once per post, while one script stays
/// short enough (about 100 × 4 calls) not to hold up other clients.
const POSTS_PER_SCRIPT: usize = 100;

/// KEYS: index, version, dependents of each post (three per post). ARGV:
/// version TTL (ms), then each post's variant key prefix. The variant keys
/// come from the index (prefix + persona); they carry the post's hash tag,
/// so with one post the script stays in one slot.
/// Returns {variants deleted, dependents of all the posts}.
static INVALIDATE_POSTS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = 0
local dependents = {}
for p = 1, #ARGV - 1 do
  local index, version = KEYS[3 * p - 2], KEYS[3 * p - 1]
  local prefix = ARGV[p + 1]
  -- The variants and then the index, one DEL per 500 keys (unpack stays
  -- far below Lua's stack limit). An empty index does not exist.
  local doomed = {}
  local listed = redis.call('HKEYS', index)
  for i, persona in ipairs(listed) do
    doomed[#doomed + 1] = prefix .. persona
    if #doomed == 500 and i < #listed then
      n = n + redis.call('DEL', unpack(doomed))
      doomed = {}
    end
  end
  if #listed > 0 then
    doomed[#doomed + 1] = index
    n = n + redis.call('DEL', unpack(doomed)) - 1
  end
  -- max(old + 1, now), odd; the clock nearly always wins, so the new value
  -- is written first and the old one read back by the same call (GET),
  -- and only an old value at or past the clock costs a second SET.
  local v = now
  if v % 2 == 0 then v = v + 1 end
  local old = tonumber(redis.call('SET', version, string.format('%d', v), 'PX', ARGV[1], 'GET') or '0') or 0
  if old >= v then
    v = old + 1
    if v % 2 == 0 then v = v + 1 end
    redis.call('SET', version, string.format('%d', v), 'PX', ARGV[1])
  end
  for _, d in ipairs(redis.call('SMEMBERS', KEYS[3 * p])) do dependents[#dependents + 1] = d end
end
return {n, dependents}
",
    )
});

/// Moves one bucket's generation in both tiers: the content cache's and the
/// page tier's (same hash tag, so one script). KEYS: content generation,
/// page bucket state. ARGV: TTL (ms) of both. Returns the content cache's
/// new generation.
static FLUSH_BUCKET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local g = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local new = math.max(g + 1, now)
if new % 2 == 0 then new = new + 1 end
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', ARGV[1])
{}return new
",
        page_invalidate::flush_block("KEYS[2]", "ARGV[1]")
    ))
});

/// What one invalidation did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invalidation {
    /// `post`, `tag` or `flush`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The post id, tag name, or new generation.
    pub target: String,
    /// Milliseconds since the epoch.
    pub at: u64,
    /// Post ids invalidated (dependents included), in the order reached.
    #[serde(skip)]
    pub posts: Vec<u64>,
    #[serde(rename = "posts")]
    pub post_count: usize,
    /// Cached variants deleted.
    pub variants: u64,
    /// Full pages deleted.
    #[serde(default)]
    pub pages: u64,
    pub took_ms: f64,
}

pub struct Invalidator {
    client: Arc<Client>,
    keys: Keys,
}

impl Invalidator {
    pub fn new(client: Arc<Client>) -> Invalidator {
        let keys = Keys::new(client.prefix());
        Invalidator { client, keys }
    }

    /// Declares that `post` shows content of each of `on`: invalidating one
    /// of them invalidates `post` too. Additive; each relation lives 30 days
    /// after it was last declared.
    pub fn depends_on(&self, post: PostId, on: &[PostId]) -> Result<()> {
        if on.len() > MAX_POSTS {
            return Err(Error::invalid(
                "onPostIds",
                format!("has {} ids, the limit is {MAX_POSTS}", on.len()),
            ));
        }
        let targets: Vec<u64> = on.iter().filter(|t| **t != post).map(|t| t.get()).collect();
        if targets.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::new();
        for target in targets {
            let key = self.keys.cache_dependents(target);
            batch.cmd_ignored(&key, "SADD").arg(&key).arg(post.get());
            batch
                .cmd_ignored(&key, "PEXPIRE")
                .arg(&key)
                .arg(RELATION_TTL_MS);
        }
        self.client
            .run_batch::<redis::Value>(Retry::Idempotent, batch, &[])
            .map(drop)
    }

    /// Adds `post` to each tag's set (see [`Invalidator::invalidate_tag`]).
    pub fn tag(&self, post: PostId, tags: &[Tag]) -> Result<()> {
        if tags.len() > MAX_TAGS {
            return Err(Error::invalid(
                "tags",
                format!("has {} tags, the limit is {MAX_TAGS}", tags.len()),
            ));
        }
        if tags.is_empty() {
            return Ok(());
        }
        let mut batch = Batch::new();
        for tag in tags {
            let key = self.keys.cache_tag(tag.as_str());
            batch.cmd_ignored(&key, "SADD").arg(&key).arg(post.get());
            batch
                .cmd_ignored(&key, "PEXPIRE")
                .arg(&key)
                .arg(RELATION_TTL_MS);
        }
        self.client
            .run_batch::<redis::Value>(Retry::Idempotent, batch, &[])
            .map(drop)
    }

    /// Invalidates `post` and, transitively, everything depending on it.
    pub fn invalidate_post(&self, post: PostId) -> Result<Invalidation> {
        let started = Instant::now();
        let (posts, variants) = self.invalidate_closure(vec![post.get()])?;
        let pages = page_invalidate::drop_pages(&self.client, &self.keys, &posts, &[])?;
        Ok(self.logged("post", post.to_string(), started, posts, variants, pages))
    }

    /// Invalidates every post tagged `tag` and everything depending on them.
    /// The tag's membership is kept (posts stay tagged).
    pub fn invalidate_tag(&self, tag: &Tag) -> Result<Invalidation> {
        let started = Instant::now();
        let key = self.keys.cache_tag(tag.as_str());
        let members: Vec<u64> = self
            .client
            .run(Route::Key(&key), Retry::Idempotent, |con| {
                redis::cmd("SMEMBERS").arg(&key).query(con)
            })?;
        let (posts, variants) = self.invalidate_closure(members)?;
        let pages = page_invalidate::drop_pages(&self.client, &self.keys, &posts, &[tag.as_str()])?;
        Ok(self.logged("tag", tag.to_string(), started, posts, variants, pages))
    }

    /// Breadth-first over the dependents graph, one round trip per level.
    fn invalidate_closure(&self, roots: Vec<u64>) -> Result<(Vec<u64>, u64)> {
        let mut seen: HashSet<u64> = HashSet::new();
        let mut order = Vec::new();
        let mut level: Vec<u64> = roots.into_iter().filter(|p| seen.insert(*p)).collect();
        let mut variants = 0u64;
        let per_script = self.client.slots_per_script(POSTS_PER_SCRIPT);
        while !level.is_empty() {
            let mut batch = Batch::new();
            for posts in level.chunks(per_script) {
                let Some(first) = posts.first() else {
                    continue;
                };
                let mut invocation = INVALIDATE_POSTS.prepare_invoke();
                for post in posts {
                    invocation
                        .key(self.keys.cache_index(*post))
                        .key(self.keys.cache_version(*post))
                        .key(self.keys.cache_dependents(*post));
                }
                invocation.arg(RELATION_TTL_MS);
                for post in posts {
                    invocation.arg(self.keys.cache_variant_prefix(*post));
                }
                batch.add_script(&self.keys.cache_index(*first), &invocation);
            }
            let replies: Vec<(u64, Vec<u64>)> =
                self.client
                    .run_batch(Retry::Once, batch, &[&INVALIDATE_POSTS])?;
            order.extend_from_slice(&level);
            let mut next = Vec::new();
            for (deleted, dependents) in replies {
                variants += deleted;
                for d in dependents {
                    if seen.len() >= MAX_POSTS {
                        log::warn!(
                            "redis-persona: invalidation stopped after {MAX_POSTS} posts; \
                             the dependency graph is larger than expected"
                        );
                        break;
                    }
                    if seen.insert(d) {
                        next.push(d);
                    }
                }
            }
            level = next;
        }
        Ok((order, variants))
    }

    /// Makes every cached variant and every full page unreachable at once
    /// (O(1): one generation move per bucket of each tier, one round trip).
    /// Returns the content cache's new generation (the highest of the
    /// buckets').
    pub fn flush(&self) -> Result<u64> {
        let started = Instant::now();
        let mut batch = Batch::new();
        for bucket in 0..CACHE_BUCKETS {
            // The TTL outlives any variant or page (at most MAX_TTL); the
            // store scripts extend it as they write.
            let key = self.keys.cache_generation(bucket);
            let mut invocation = FLUSH_BUCKET.prepare_invoke();
            invocation
                .key(&key)
                .key(self.keys.page_state(bucket))
                .arg(MAX_TTL_SECS * 1000);
            batch.add_script(&key, &invocation);
        }
        let generations: Vec<u64> = self
            .client
            .run_batch(Retry::Once, batch, &[&FLUSH_BUCKET])?;
        let generation = generations.into_iter().max().unwrap_or(0);
        self.logged("flush", generation.to_string(), started, Vec::new(), 0, 0);
        Ok(generation)
    }

    /// Describes an invalidation that just finished and logs it.
    fn logged(
        &self,
        kind: &str,
        target: String,
        started: Instant,
        posts: Vec<u64>,
        variants: u64,
        pages: u64,
    ) -> Invalidation {
        let done = Invalidation {
            kind: kind.to_owned(),
            target,
            at: now_ms(),
            post_count: posts.len(),
            posts,
            variants,
            pages,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        self.log(&done);
        done
    }

    /// Appends to the bounded invalidation log. A failure to log does not
    /// undo or fail the invalidation itself.
    fn log(&self, entry: &Invalidation) {
        let key = self.keys.invalidation_log();
        match serde_json::to_string(entry) {
            Ok(json) => {
                let mut pipe = redis::pipe();
                pipe.cmd("LPUSH").arg(&key).arg(json).ignore();
                pipe.cmd("LTRIM")
                    .arg(&key)
                    .arg(0)
                    .arg(LOG_LENGTH - 1)
                    .ignore();
                pipe.cmd("PEXPIRE")
                    .arg(&key)
                    .arg(MAX_TTL_SECS * 1000)
                    .ignore();
                let logged = self
                    .client
                    .run(Route::Key(&key), Retry::Once, |con| pipe.query::<()>(con));
                if let Err(e) = logged {
                    log::info!("redis-persona: invalidation not logged: {e}");
                }
            }
            Err(e) => log::info!("redis-persona: invalidation not logged: {e}"),
        }
    }

    /// The last `limit` (1 to [`LOG_LENGTH`]) invalidations, newest first.
    pub fn recent(&self, limit: i64) -> Result<Vec<Invalidation>> {
        let limit = crate::options::int_in_range("limit", limit, 1, LOG_LENGTH as i64, "")?;
        let key = self.keys.invalidation_log();
        let rows: Vec<String> = self
            .client
            .run(Route::Key(&key), Retry::Idempotent, |con| {
                redis::cmd("LRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(limit - 1)
                    .query(con)
            })?;
        Ok(rows
            .iter()
            .filter_map(|row| serde_json::from_str(row).ok())
            .collect())
    }
}
