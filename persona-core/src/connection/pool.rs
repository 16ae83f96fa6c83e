//! Per-process connection pools.
//!
//! Process model: PHP-FPM starts the module in the master and then forks the
//! workers; `pcntl_fork()` does the same inside a CLI script. A socket created
//! before a fork is shared by parent and child, and their replies interleave
//! (measured on this platform: thousands of wrong replies, no error). So:
//! nothing here connects at module start, every pool records the pid that
//! created it, and a pool is never used from another process: the registry
//! drops pools inherited over a fork and builds fresh ones on first use.
//!
//! Threading: PHP (NTS) calls in from one thread at a time; the locks make the
//! pool correct under ZTS too. Connections are made and used only on the
//! caller's thread (the one helper thread, `watchdog.rs`, only ever reads a
//! running call's socket state and shuts it down at its deadline or on a
//! stall), so connect errors keep their exact cause
//! (timeout vs refused) and a down server costs one connect attempt, not a
//! retry loop until a checkout deadline. That is why this is not r2d2: its
//! connects run on a thread pool, report errors as strings, and retry until
//! the checkout wait expires.
//!
//! Connections persist across requests (the pool outlives them) and carry
//! connect, read and write timeouts, so a hung server fails a call within the
//! read timeout instead of hanging the worker past `max_execution_time`.
//!
//! Each pool has a circuit breaker whose state is shared with the user's
//! other processes (`breaker.rs`, `shared.rs`): after one worker pays the
//! timeout, the others fail fast. The breaker's probe is a fresh connection
//! and a PING within `probe_timeout`, so a server still frozen costs the
//! probing request that much, not a full read timeout. A whole call (a
//! pipeline reads many replies) is bounded by one read timeout too, by this
//! process's watchdog (`watchdog.rs`), and ends sooner when the server has
//! answered nobody on the machine for twice `probe_timeout` (`stall.rs`): a
//! frozen server then costs the calls in flight when it froze about 200 ms,
//! not the read timeout each.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use redis::ConnectionLike;

use crate::breaker::{Admission, Breaker, BreakerSnapshot};
use crate::config::ClientConfig;
use crate::error::{classify, ConnectionKind, Error, Result};
use crate::shared::{self, now_ns};
use crate::stall::{Stall, StallWatch};
use crate::watchdog::{self, Cut, Watchdog};

pub use crate::registry::all_pools;
pub(crate) use crate::registry::pool_for;

mod checkout;
mod probe;

/// Whether a failed command may be sent again on a fresh connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads and other commands whose repetition is harmless: a connection
    /// found dead (server restarted, idle connection closed) is replaced and
    /// the command sent again, so the caller sees no error at all.
    Idempotent,
    /// Writes: never sent twice. A dead connection still costs this caller
    /// one error, but the pool is cleared so the next call reconnects.
    Once,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStats {
    pub pid: u32,
    pub max_size: usize,
    pub idle: usize,
    pub in_use: usize,
    pub connections_created: u64,
    pub connections_discarded: u64,
}

/// A connection and its socket descriptor (when it could be identified).
struct Pooled {
    con: redis::Connection,
    fd: Option<RawFd>,
    /// When it was given back (see `checkout::closed_while_idle`).
    since: Instant,
}

struct Slots {
    idle: Vec<Pooled>,
    in_use: usize,
}

pub struct Pool {
    config: Arc<ClientConfig>,
    client: redis::Client,
    pid: u32,
    slots: Mutex<Slots>,
    returned: Condvar,
    breaker: Arc<Breaker>,
    /// Ends calls early when the server stalls (None: read timeout only).
    stall: Option<Arc<StallWatch>>,
    created: AtomicU64,
    discarded: AtomicU64,
    epoch: Instant,
    /// Microseconds after `epoch` of the last reply from the server (0: none).
    last_reply_us: AtomicU64,
    /// Cuts calls that outlive the read timeout (None: per-read timeouts only).
    watchdog: Option<Arc<Watchdog>>,
}

/// A checked-out connection; goes back to the pool on drop unless discarded.
struct Lease<'a> {
    pool: &'a Pool,
    con: Option<redis::Connection>,
    fd: Option<RawFd>,
    reused: bool,
}

impl Lease<'_> {
    fn discard(&mut self) {
        if self.con.take().is_some() {
            self.pool.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut slots = self.pool.slots.lock();
        slots.in_use = slots.in_use.saturating_sub(1);
        if let Some(con) = self.con.take() {
            if con.is_open() {
                slots.idle.push(Pooled {
                    con,
                    fd: self.fd,
                    since: Instant::now(),
                });
            } else {
                self.pool.discarded.fetch_add(1, Ordering::Relaxed);
            }
        }
        drop(slots);
        self.pool.returned.notify_one();
    }
}

impl Pool {
    pub(crate) fn new(config: Arc<ClientConfig>) -> Result<Pool> {
        // No CLIENT SETINFO at connect: a round trip (two replies, each
        // waiting the timeout on a frozen server) for a label nobody reads.
        let redis = config.info.redis_settings().clone().set_skip_set_lib_name();
        let info = config.info.clone().set_redis_settings(redis);
        let client = redis::Client::open(info).map_err(|e| Error::invalid("url", e.to_string()))?;
        // Another process may probe again if this probe has not reported back
        // by then (its process died mid-probe); allow slack over its budget.
        let probe_window = config.probe_timeout * 3 + Duration::from_millis(50);
        let home = shared::home_for(&config.breaker_key());
        let breaker = Arc::new(Breaker::new(config.retry_interval, probe_window, home));
        let stall = StallWatch::new(
            Arc::clone(&breaker),
            config.probe_timeout,
            config.read_timeout,
        )
        .map(Arc::new);
        Ok(Pool {
            breaker,
            stall,
            client,
            pid: crate::process::pid(),
            slots: Mutex::new(Slots {
                idle: Vec::with_capacity(config.pool_size),
                in_use: 0,
            }),
            returned: Condvar::new(),
            created: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            epoch: Instant::now(),
            last_reply_us: AtomicU64::new(0),
            watchdog: watchdog::for_this_process(),
            config,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The pid of the process that owns this pool.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Runs `f` on a pooled connection, honouring the circuit breaker.
    pub fn run<T>(
        &self,
        retry: Retry,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        match self.breaker.admit(now_ns()) {
            Admission::Allowed => {}
            Admission::Rejected(retry_in) => return Err(self.breaker_error(retry_in)),
            Admission::Probe => match self.probe() {
                Ok(()) => self.on_reply(),
                // An error reply to PING (an ACL without it, a renamed
                // command) still proves the server answers.
                Err(err) if answered(&err) => self.on_reply(),
                Err(err) => {
                    let slow = err.connection_kind() == Some(ConnectionKind::Timeout);
                    self.breaker
                        .on_probe_failure(now_ns(), &failure_text(&err), slow);
                    return Err(err);
                }
            },
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut lease = match self.checkout(self.config.connect_timeout) {
                Ok(lease) => lease,
                Err(err) => {
                    self.on_failure(&err);
                    return Err(err);
                }
            };
            let Some(con) = lease.con.as_mut() else {
                return Err(Error::connection(
                    ConnectionKind::Io,
                    "no connection leased",
                ));
            };
            let ticket = match (&self.watchdog, lease.fd) {
                (Some(dog), Some(fd)) => Some(dog.arm(fd, self.call_limit(), self.stall.as_ref())),
                _ => None,
            };
            let outcome = f(con);
            let cut = match (&self.watchdog, ticket) {
                (Some(dog), Some(ticket)) => dog.disarm(ticket),
                _ => None,
            };
            if let Some(cut) = cut {
                // The watchdog shut the socket: whatever came back, the
                // connection is gone and the call overran its deadline or
                // the server stalled.
                lease.discard();
                if let Ok(value) = outcome {
                    self.on_reply();
                    return Ok(value);
                }
                let err = Error::connection(ConnectionKind::Timeout, self.cut_message(cut));
                self.on_failure(&err);
                return Err(err);
            }
            match outcome {
                Ok(value) => {
                    self.on_reply();
                    return Ok(value);
                }
                Err(raw) => {
                    let err = classify(&raw, false);
                    let kind = match err.connection_kind() {
                        None => {
                            // An error reply: the server is up and the connection
                            // is in sync (unless redis-rs says otherwise on drop).
                            self.on_reply();
                            return Err(err);
                        }
                        Some(ConnectionKind::Unavailable(code)) => {
                            // A refusal (READONLY, LOADING...): the connection
                            // is fine; the breaker opens only for total ones.
                            if code.opens_breaker() {
                                self.on_failure(&err);
                            } else {
                                self.on_reply();
                            }
                            return Err(err);
                        }
                        Some(kind) => kind,
                    };
                    lease.discard();
                    if lease.reused && kind == ConnectionKind::Dropped {
                        // Typical after a Redis restart: every idle connection
                        // is dead. Drop them all so nobody else trips on one.
                        self.clear_idle();
                        if retry == Retry::Idempotent && attempt == 1 {
                            continue;
                        }
                        return Err(err);
                    }
                    self.on_failure(&err);
                    return Err(err);
                }
            }
        }
    }

    /// Why a call the watchdog cut failed.
    fn cut_message(&self, cut: Cut) -> String {
        let url = &self.config.display_url;
        match cut {
            Cut::Deadline => format!(
                "no complete reply from {url} within {} ms (read timeout)",
                self.config.read_timeout.as_millis()
            ),
            Cut::Stalled(Stall::Silent) => format!(
                "{url} answered nobody on this machine for {} ms (twice probe_timeout_ms): \
                 frozen or hung",
                self.stall.as_ref().map_or(0, |s| s.after().as_millis())
            ),
            Cut::Stalled(Stall::BreakerOpened) => {
                format!("call abandoned: the circuit breaker for {url} opened while it waited")
            }
        }
    }

    /// How long one call may take in all: the read timeout plus a little,
    /// so a single slow read reports its own timeout first.
    fn call_limit(&self) -> Duration {
        self.config.read_timeout + watchdog::SLACK
    }

    fn on_failure(&self, err: &Error) {
        if err.opens_breaker() {
            self.breaker.on_failure(now_ns(), &failure_text(err));
        }
    }

    /// True when the breaker is open (a call would fail without I/O).
    pub fn breaker_is_open(&self) -> bool {
        self.breaker.is_open(now_ns())
    }

    /// How long ago the server last answered, if it ever did.
    pub fn since_last_reply(&self) -> Option<Duration> {
        let at = self.last_reply_us.load(Ordering::Relaxed);
        if at == 0 {
            return None;
        }
        let now = self.epoch.elapsed().as_micros() as u64;
        Some(Duration::from_micros(now.saturating_sub(at)))
    }

    pub fn breaker_snapshot(&self) -> BreakerSnapshot {
        self.breaker.snapshot(now_ns())
    }

    pub fn stats(&self) -> PoolStats {
        let slots = self.slots.lock();
        PoolStats {
            pid: self.pid,
            max_size: self.config.pool_size,
            idle: slots.idle.len(),
            in_use: slots.in_use,
            connections_created: self.created.load(Ordering::Relaxed),
            connections_discarded: self.discarded.load(Ordering::Relaxed),
        }
    }

    fn on_reply(&self) {
        self.breaker.on_success(now_ns());
        let us = (self.epoch.elapsed().as_micros() as u64).max(1);
        self.last_reply_us.store(us, Ordering::Relaxed);
    }

    fn breaker_error(&self, retry_in: Duration) -> Error {
        let snap = self.breaker.snapshot(now_ns());
        let last = match snap.last_error {
            Some(text) => text,
            None if snap.failed_pid != 0 => format!(
                "process {} found it unavailable (shared breaker state)",
                snap.failed_pid
            ),
            None => "unknown error".into(),
        };
        Error::connection(
            ConnectionKind::BreakerOpen,
            format!(
                "not trying {} for another {} ms after: {last}",
                self.config.display_url,
                retry_in.as_millis()
            ),
        )
    }

    fn clear_idle(&self) {
        let stale = std::mem::take(&mut self.slots.lock().idle);
        self.discarded
            .fetch_add(stale.len() as u64, Ordering::Relaxed);
    }
}

impl Pool {
    /// Leaks the idle connections without closing them: they belong to the
    /// parent process too (see `registry::forget_inherited`).
    pub(crate) fn forget_idle(&self) {
        let idle = std::mem::take(&mut self.slots.lock().idle);
        std::mem::forget(idle);
    }
}

/// Whether an error is a reply from the server (so it is up), as opposed
/// to a failure to get one.
fn answered(err: &Error) -> bool {
    match err.connection_kind() {
        None => true,
        Some(ConnectionKind::Unavailable(code)) => !code.opens_breaker(),
        Some(_) => false,
    }
}

/// The short cause kept by the breaker and quoted while it is open.
fn failure_text(err: &Error) -> String {
    match err {
        Error::Connection { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
