//! Circuit breaker: after Redis fails, stop paying the connect/read timeout on
//! every call. The first failure opens the breaker; while open, calls fail at
//! once without I/O. When the retry interval has passed, exactly one call is
//! let through as a probe (the pool makes it a PING with a short timeout of
//! its own): its success closes the breaker, its failure re-opens it. A probe
//! that ran into its timeout (a frozen host) doubles the interval, up to a cap
//! (30 s, or the interval if that is longer), so a server that stays frozen
//! costs one short probe every 30 s, not one per second; a probe refused at
//! once (Redis restarting) costs nothing and keeps the configured interval,
//! so recovery is noticed promptly. Success resets the interval.
//!
//! Process model: the state (down-until timestamp, interval) lives in a
//! [`Cell`] that is normally shared by every process of the user on this
//! machine (see [`crate::shared`]): one PHP-FPM worker's failure makes every
//! other worker fail fast, and one probe runs machine-wide. Every state
//! change is a single atomic store or compare-and-swap on the cell, so
//! processes and threads need no lock; the hot path is one atomic load.
//! What only explains this process's view (its failure count, the last
//! error it saw) stays per process. Time is passed in (monotonic ns) so the
//! state machine is tested without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::shared::{Cell, Home};

/// The longest the retry interval backs off to (unless configured longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// What the breaker lets a caller do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead (breaker closed).
    Allowed,
    /// Go ahead as the single probe after an open interval.
    Probe,
    /// Do not touch the network; the next probe is due in this long.
    Rejected(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BreakerSnapshot {
    pub state: BreakerState,
    /// Failures this process saw since the breaker last closed.
    pub consecutive_failures: u64,
    /// How often this process opened the breaker.
    pub times_opened: u64,
    /// How often any process sharing the state opened it.
    pub times_opened_shared: u64,
    /// Time until the next probe is allowed (zero unless open).
    pub retry_in: Duration,
    /// The current retry interval (grows while the server stays down).
    pub retry_interval: Duration,
    /// The process that last opened the breaker or failed a probe (0: none).
    pub failed_pid: u32,
    /// The shared state file, or None when the state is per process.
    pub shared_path: Option<String>,
    pub last_error: Option<String>,
}

pub struct Breaker {
    base_ms: u64,
    max_ms: u64,
    /// How long an elected probe may take before another may try (a probe
    /// whose process died must not keep the breaker half-open forever).
    probe_window_ns: u64,
    home: Home,
    consecutive_failures: AtomicU64,
    times_opened: AtomicU64,
    last_error: Mutex<Option<String>>,
}

fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

impl Breaker {
    pub fn new(retry_interval: Duration, probe_window: Duration, home: Home) -> Self {
        let base_ms = (retry_interval.as_millis() as u64).max(1);
        Breaker {
            base_ms,
            max_ms: base_ms.max(MAX_BACKOFF.as_millis() as u64),
            probe_window_ns: probe_window.as_nanos() as u64,
            home,
            consecutive_failures: AtomicU64::new(0),
            times_opened: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    fn cell(&self) -> &Cell {
        self.home.cell()
    }

    pub fn is_shared(&self) -> bool {
        self.home.path().is_some()
    }

    pub fn admit(&self, now: u64) -> Admission {
        let cell = self.cell();
        let until = cell.down_until_ns.load(Ordering::Acquire);
        if until == 0 {
            return Admission::Allowed;
        }
        if now < until {
            return Admission::Rejected(Duration::from_nanos(until - now));
        }
        // Due for a probe: the process whose swap lands runs it; everyone
        // else sees the probe window as "open".
        let window = now.saturating_add(self.probe_window_ns).max(1);
        match cell.down_until_ns.compare_exchange(
            until,
            window,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                cell.probe_pid
                    .store(crate::process::pid(), Ordering::Relaxed);
                Admission::Probe
            }
            Err(0) => Admission::Allowed,
            Err(other) => Admission::Rejected(Duration::from_nanos(other.saturating_sub(now))),
        }
    }

    /// How long no process sharing this state has had a reply from the
    /// server (`u64::MAX` ns when none ever had).
    pub fn silent_for(&self, now: u64) -> Duration {
        match self.cell().last_reply_ns.load(Ordering::Relaxed) {
            0 => Duration::MAX,
            at => Duration::from_nanos(now.saturating_sub(at)),
        }
    }

    /// True when a call now would not touch the network.
    pub fn is_open(&self, now: u64) -> bool {
        let until = self.cell().down_until_ns.load(Ordering::Acquire);
        until != 0 && now < until
    }

    /// The server answered at `now`. Costs two atomic loads (and a store
    /// at most once a millisecond) unless the breaker was open.
    pub fn on_success(&self, now: u64) {
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        let cell = self.cell();
        // Every worker stores here; skipping near-duplicates keeps the cache
        // line from bouncing between cores on a busy site.
        if now.saturating_sub(cell.last_reply_ns.load(Ordering::Relaxed)) > 1_000_000 {
            cell.last_reply_ns.store(now, Ordering::Relaxed);
        }
        if cell.down_until_ns.load(Ordering::Acquire) == 0 {
            return;
        }
        cell.down_until_ns.store(0, Ordering::Release);
        cell.interval_ms.store(self.base_ms, Ordering::Relaxed);
        cell.probe_pid.store(0, Ordering::Relaxed);
        log::info!("redis-persona: Redis reachable again, circuit breaker closed");
    }

    /// The elected probe failed. A `slow` failure (it ran into its
    /// timeout: a frozen or unreachable host) doubles the interval, up to the
    /// cap, because each probe costs the request that runs it. A fast one (a
    /// refused connection while Redis restarts, a LOADING reply) costs
    /// nothing, so the interval stays as configured and recovery is seen
    /// promptly.
    pub fn on_probe_failure(&self, now: u64, error: &str, slow: bool) {
        self.note_failure(error);
        let cell = self.cell();
        let current = cell.interval_ms.load(Ordering::Relaxed);
        let next = if slow {
            current.saturating_mul(2).clamp(self.base_ms, self.max_ms)
        } else {
            self.base_ms
        };
        cell.interval_ms.store(next, Ordering::Relaxed);
        cell.failed_pid
            .store(crate::process::pid(), Ordering::Relaxed);
        cell.probe_pid.store(0, Ordering::Relaxed);
        cell.down_until_ns
            .store(now.saturating_add(ms_to_ns(next)).max(1), Ordering::Release);
        log::info!("redis-persona: probe failed, next one in {next} ms: {error}");
    }

    fn note_failure(&self, error: &str) {
        self.consecutive_failures.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = Some(error.to_owned());
    }

    /// A call failed in a way that opens the breaker.
    pub fn on_failure(&self, now: u64, error: &str) {
        self.note_failure(error);
        let cell = self.cell();
        let pid = crate::process::pid();
        let until = now.saturating_add(ms_to_ns(self.base_ms)).max(1);
        // Only the failure that finds the breaker closed opens it; later ones
        // (other processes timing out on calls already in flight) add nothing.
        if cell
            .down_until_ns
            .compare_exchange(0, until, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            cell.interval_ms.store(self.base_ms, Ordering::Relaxed);
            cell.failed_pid.store(pid, Ordering::Relaxed);
            cell.times_opened.fetch_add(1, Ordering::Relaxed);
            self.times_opened.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "redis-persona: circuit breaker opened for {} ms after: {error}",
                self.base_ms
            );
        }
    }

    pub fn snapshot(&self, now: u64) -> BreakerSnapshot {
        let cell = self.cell();
        let until = cell.down_until_ns.load(Ordering::Acquire);
        let probing = cell.probe_pid.load(Ordering::Relaxed) != 0;
        let state = match until {
            0 => BreakerState::Closed,
            _ if probing && now < until => BreakerState::HalfOpen,
            _ => BreakerState::Open,
        };
        let interval = match cell.interval_ms.load(Ordering::Relaxed) {
            0 => self.base_ms,
            ms => ms,
        };
        BreakerSnapshot {
            state,
            consecutive_failures: self.consecutive_failures.load(Ordering::Relaxed),
            times_opened: self.times_opened.load(Ordering::Relaxed),
            times_opened_shared: cell.times_opened.load(Ordering::Relaxed),
            retry_in: Duration::from_nanos(until.saturating_sub(now)),
            retry_interval: Duration::from_millis(interval),
            failed_pid: cell.failed_pid.load(Ordering::Relaxed),
            shared_path: self.home.path().map(|p| p.display().to_string()),
            last_error: self.last_error.lock().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;
    const MS: u64 = 1_000_000;

    fn breaker(interval_s: u64, window_s: u64) -> Breaker {
        Breaker::new(
            Duration::from_secs(interval_s),
            Duration::from_secs(window_s),
            Home::local(),
        )
    }

    #[test]
    fn closed_breaker_admits_everything() {
        let b = breaker(1, 1);
        assert_eq!(b.admit(SEC), Admission::Allowed);
        assert!(!b.is_open(SEC));
    }

    #[test]
    fn a_failure_opens_then_one_probe_after_the_interval() {
        let b = breaker(1, 5);
        let t0 = 100 * SEC;
        b.on_failure(t0, "refused");
        assert!(b.is_open(t0));
        assert_eq!(
            b.admit(t0 + 400 * MS),
            Admission::Rejected(Duration::from_millis(600))
        );
        assert!(!b.is_open(t0 + SEC), "due for a probe, not open any more");
        assert_eq!(b.admit(t0 + SEC), Admission::Probe);
        // While the probe runs, others still fail fast.
        assert!(matches!(b.admit(t0 + SEC), Admission::Rejected(_)));
        assert_eq!(b.snapshot(t0 + SEC).state, BreakerState::HalfOpen);
        b.on_success(t0 + SEC);
        assert_eq!(b.admit(t0 + SEC), Admission::Allowed);
        let s = b.snapshot(t0 + SEC);
        assert_eq!(s.state, BreakerState::Closed);
        assert_eq!(s.times_opened, 1);
        assert_eq!(s.last_error.as_deref(), Some("refused"));
        assert_eq!(s.shared_path, None);
    }

    #[test]
    fn failed_probes_back_off_to_the_cap_and_success_resets() {
        let b = breaker(1, 5);
        let mut t = 100 * SEC;
        b.on_failure(t, "refused");
        let mut waits = Vec::new();
        for _ in 0..7 {
            let due = t + b.snapshot(t).retry_in.as_nanos() as u64;
            assert!(matches!(b.admit(due - MS), Admission::Rejected(_)));
            assert_eq!(b.admit(due), Admission::Probe);
            b.on_probe_failure(due, "timed out again", true);
            waits.push(b.snapshot(due).retry_interval.as_secs());
            t = due;
        }
        assert_eq!(waits, [2, 4, 8, 16, 30, 30, 30]);
        let s = b.snapshot(t);
        assert_eq!(s.consecutive_failures, 8);
        assert_eq!(s.times_opened, 1, "failed probes are the same outage");
        b.on_success(t);
        b.on_failure(t, "again");
        assert_eq!(b.snapshot(t).retry_interval, Duration::from_secs(1));
        assert_eq!(b.snapshot(t).times_opened, 2);
    }

    #[test]
    fn fast_probe_failures_keep_the_configured_interval() {
        let b = breaker(1, 5);
        let t = 100 * SEC;
        b.on_failure(t, "refused");
        assert_eq!(b.admit(t + SEC), Admission::Probe);
        b.on_probe_failure(t + SEC, "timed out", true);
        assert_eq!(b.snapshot(t + SEC).retry_interval, Duration::from_secs(2));
        assert_eq!(b.admit(t + 3 * SEC), Admission::Probe);
        b.on_probe_failure(t + 3 * SEC, "refused", false);
        let s = b.snapshot(t + 3 * SEC);
        assert_eq!(s.retry_interval, Duration::from_secs(1));
        assert_eq!(s.retry_in, Duration::from_secs(1));
    }

    #[test]
    fn a_lost_probe_is_replaced_after_the_window() {
        let b = breaker(1, 2);
        let t0 = 100 * SEC;
        b.on_failure(t0, "x");
        assert_eq!(b.admit(t0 + SEC), Admission::Probe);
        assert!(matches!(b.admit(t0 + 2 * SEC), Admission::Rejected(_)));
        assert_eq!(b.admit(t0 + 3 * SEC), Admission::Probe);
    }

    #[test]
    fn breakers_on_one_cell_act_as_one() {
        let server = format!("breaker-test-{}-{}", std::process::id(), SEC);
        let a = Breaker::new(
            Duration::from_secs(1),
            Duration::from_secs(1),
            crate::shared::home_for(&server),
        );
        let b = Breaker::new(
            Duration::from_secs(1),
            Duration::from_secs(1),
            crate::shared::home_for(&server),
        );
        let t0 = crate::shared::now_ns();
        a.on_failure(t0, "timed out");
        assert!(b.is_open(t0), "b learns of a's failure without I/O");
        b.on_failure(t0, "timed out too");
        assert_eq!(a.snapshot(t0).times_opened_shared, 1);
        // Exactly one of them probes.
        let due = t0 + SEC;
        let admissions = [a.admit(due), b.admit(due)];
        assert_eq!(
            admissions
                .iter()
                .filter(|x| **x == Admission::Probe)
                .count(),
            1
        );
        b.on_success(t0 + SEC);
        assert_eq!(a.admit(due), Admission::Allowed);
        if let Some(path) = a.snapshot(due).shared_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
