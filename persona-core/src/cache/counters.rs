//! Hit/miss/store counters and view counts, kept in the process and written
//! to Redis in one pipeline later, so that counting adds no round trip to a
//! cache lookup.
//!
//! Process model: the counts live in a per-process table keyed by Redis
//! server and prefix. The extension drains it at request shutdown (so the
//! per-day totals are exact once a request has finished); a long-running
//! script also drains it every [`FLUSH_EVERY_OPS`] operations or
//! [`FLUSH_EVERY`], whichever comes first. A table inherited over `fork()`
//! belongs to the parent and is dropped, never written twice.
//!
//! Counts that cannot be written because Redis is unavailable are dropped
//! (and logged): statistics must never make a page wait or fail.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::batch::Batch;
use crate::client::Client;
use crate::clock;
use crate::error::Result;
use crate::keys::Keys;
use crate::pool::Retry;
use crate::route::Route;

pub const FLUSH_EVERY_OPS: u64 = 1000;
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// Per-day statistics are kept this long: like every key, at most
/// `kv::MAX_TTL_SECS` (30 days). `stats()` reads older days as zero.
pub const STATS_RETENTION_DAYS: i64 = crate::kv::MAX_TTL_SECS / 86_400;
/// The view ranking keeps at most this many posts.
pub const MAX_RANKED_POSTS: i64 = 10_000;
const VIEWS_TTL_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    pub hits: u64,
    pub misses: u64,
    pub sets: u64,
    pub raw_bytes: u64,
    pub stored_bytes: u64,
}

impl DayCounts {
    const FIELDS: [&'static str; 5] = ["hits", "misses", "sets", "raw_bytes", "stored_bytes"];

    fn values(&self) -> [u64; 5] {
        [
            self.hits,
            self.misses,
            self.sets,
            self.raw_bytes,
            self.stored_bytes,
        ]
    }

    pub fn from_values(values: &[Option<u64>]) -> DayCounts {
        let at = |i: usize| values.get(i).copied().flatten().unwrap_or(0);
        DayCounts {
            hits: at(0),
            misses: at(1),
            sets: at(2),
            raw_bytes: at(3),
            stored_bytes: at(4),
        }
    }

    pub fn field_names() -> &'static [&'static str] {
        &Self::FIELDS
    }
}

struct Pending {
    namespace: String,
    client: Arc<Client>,
    pid: u32,
    days: BTreeMap<i64, DayCounts>,
    views: HashMap<u64, u64>,
    ops: u64,
    since: Instant,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.days.is_empty() && self.views.is_empty()
    }

    fn due(&self) -> bool {
        self.ops >= FLUSH_EVERY_OPS || self.since.elapsed() >= FLUSH_EVERY
    }
}

static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());

/// What to count.
pub enum Event {
    Hit,
    Miss,
    Stored {
        raw_bytes: usize,
        stored_bytes: usize,
    },
    View(u64),
}

/// Counts `event` for `client`'s server and prefix; writes the table out
/// when it is due.
pub fn record(client: &Arc<Client>, event: Event) {
    let due = {
        let mut table = PENDING.lock();
        let pid = crate::process::pid();
        table.retain(|p| p.pid == pid);
        let ns = client.namespace();
        let index = match table.iter().position(|p| p.namespace == ns) {
            Some(i) => i,
            None => {
                table.push(Pending {
                    namespace: ns.to_owned(),
                    client: Arc::clone(client),
                    pid,
                    days: BTreeMap::new(),
                    views: HashMap::new(),
                    ops: 0,
                    since: Instant::now(),
                });
                table.len() - 1
            }
        };
        let pending = &mut table[index];
        if pending.is_empty() {
            pending.since = Instant::now();
        }
        pending.ops += 1;
        let today = clock::day_number(clock::now_ms());
        match event {
            Event::Hit => pending.days.entry(today).or_default().hits += 1,
            Event::Miss => pending.days.entry(today).or_default().misses += 1,
            Event::Stored {
                raw_bytes,
                stored_bytes,
            } => {
                let day = pending.days.entry(today).or_default();
                day.sets += 1;
                day.raw_bytes += raw_bytes as u64;
                day.stored_bytes += stored_bytes as u64;
            }
            Event::View(post) => *pending.views.entry(post).or_default() += 1,
        }
        pending.due()
    };
    if due {
        if let Err(e) = flush(client) {
            log::info!("redis-persona: statistics not written: {e}");
        }
    }
}

fn take(filter: impl Fn(&Pending) -> bool) -> Vec<Pending> {
    let mut table = PENDING.lock();
    let pid = crate::process::pid();
    let (mine, rest): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut *table)
        .into_iter()
        .filter(|p| p.pid == pid)
        .partition(filter);
    *table = rest;
    mine
}

/// Writes out what is pending for `client`'s server and prefix.
pub fn flush(client: &Client) -> Result<()> {
    let ns = client.namespace();
    for pending in take(|p| p.namespace == ns) {
        write(&pending)?;
    }
    Ok(())
}

/// Writes out everything pending in this process (request shutdown). Never
/// fails; failures are logged.
pub fn flush_all() {
    for pending in take(|_| true) {
        if let Err(e) = write(&pending) {
            log::info!("redis-persona: statistics not written: {e}");
        }
    }
}

fn write(pending: &Pending) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let keys = Keys::new(pending.client.prefix());
    // The day hashes and the ranking have their own slots on a cluster.
    let mut batch = Batch::new();
    for (day, counts) in &pending.days {
        let key = keys.stats_day(&clock::iso_date(*day));
        for (field, n) in DayCounts::FIELDS.iter().zip(counts.values()) {
            if n > 0 {
                batch
                    .cmd_ignored(&key, "HINCRBY")
                    .arg(&key)
                    .arg(*field)
                    .arg(n);
            }
        }
        batch
            .cmd_ignored(&key, "EXPIRE")
            .arg(&key)
            .arg(STATS_RETENTION_DAYS * 86_400);
    }
    if !pending.views.is_empty() {
        let key = keys.stats_views();
        for (post, n) in &pending.views {
            batch
                .cmd_ignored(&key, "ZINCRBY")
                .arg(&key)
                .arg(*n)
                .arg(*post);
        }
        // Keep the most viewed: drop the lowest ranks beyond the bound.
        batch
            .cmd_ignored(&key, "ZREMRANGEBYRANK")
            .arg(&key)
            .arg(0)
            .arg(-(MAX_RANKED_POSTS + 1));
        batch
            .cmd_ignored(&key, "EXPIRE")
            .arg(&key)
            .arg(VIEWS_TTL_SECS);
    }
    pending
        .client
        .run_batch::<redis::Value>(Retry::Once, batch, &[])
        .map(drop)
}

/// The most viewed posts (at most `limit`, 1 to 1000), most viewed first:
/// (post id, views), after writing out this process's pending counts.
pub fn popular(client: &Client, keys: &Keys, limit: i64) -> Result<Vec<(u64, u64)>> {
    let limit = crate::options::int_in_range("limit", limit, 1, 1000, "")?;
    flush(client)?;
    let key = keys.stats_views();
    let ranked: Vec<(u64, f64)> = client.run(Route::Key(&key), Retry::Idempotent, |con| {
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

/// Per-day counters for the last `days` days (1 to 90, UTC; days past
/// [`STATS_RETENTION_DAYS`] read as zero), oldest first, after writing out
/// this process's pending counts.
pub fn stats(client: &Client, keys: &Keys, days: i64) -> Result<Vec<(String, DayCounts)>> {
    let days = crate::options::int_in_range("days", days, 1, 90, "")?;
    flush(client)?;
    let today = clock::day_number(clock::now_ms());
    let dates: Vec<String> = (0..days as i64)
        .rev()
        .map(|back| clock::iso_date(today - back))
        .collect();
    let mut batch = Batch::new();
    for date in &dates {
        let key = keys.stats_day(date);
        batch
            .cmd(&key, "HMGET")
            .arg(&key)
            .arg(DayCounts::field_names());
    }
    let rows: Vec<Vec<Option<u64>>> = client.run_batch(Retry::Idempotent, batch, &[])?;
    Ok(dates
        .into_iter()
        .zip(rows)
        .map(|(date, values)| (date, DayCounts::from_values(&values)))
        .collect())
}
