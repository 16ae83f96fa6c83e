//! Circuit breaker: after Redis fails, stop paying the connect/read timeout on
//! every call. The first failure opens the breaker; while open, calls fail at
//! once without I/O. When `retry_interval` has passed, exactly one call is let
//! through as a probe: its success closes the breaker, its failure re-opens it
//! for another interval.
//!
//! One breaker belongs to one connection pool, so it is per process (PHP-FPM
//! workers each learn about an outage on their own first call). Time is passed
//! in by the caller so the state machine is tested without sleeping.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

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
    /// Failures since the breaker last closed.
    pub consecutive_failures: u64,
    /// How often the breaker has opened in this process.
    pub times_opened: u64,
    /// Time until the next probe is allowed (zero unless open).
    pub retry_in: Duration,
    pub last_error: Option<String>,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    opened_at: Option<Instant>,
    probe_started: Option<Instant>,
    consecutive_failures: u64,
    times_opened: u64,
    last_error: Option<String>,
}

#[derive(Debug)]
pub struct Breaker {
    retry_interval: Duration,
    /// A probe that never reports back (its thread died) is given up on after
    /// this long, so the breaker cannot stay half-open forever.
    probe_deadline: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(retry_interval: Duration, probe_deadline: Duration) -> Self {
        Breaker {
            retry_interval,
            probe_deadline,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                opened_at: None,
                probe_started: None,
                consecutive_failures: 0,
                times_opened: 0,
                last_error: None,
            }),
        }
    }

    pub fn admit(&self, now: Instant) -> Admission {
        let mut inner = self.inner.lock();
        match inner.state {
            BreakerState::Closed => Admission::Allowed,
            BreakerState::Open => {
                let opened = inner.opened_at.unwrap_or(now);
                let elapsed = now.saturating_duration_since(opened);
                if elapsed >= self.retry_interval {
                    inner.state = BreakerState::HalfOpen;
                    inner.probe_started = Some(now);
                    Admission::Probe
                } else {
                    Admission::Rejected(self.retry_interval - elapsed)
                }
            }
            BreakerState::HalfOpen => {
                let started = inner.probe_started.unwrap_or(now);
                if now.saturating_duration_since(started) >= self.probe_deadline {
                    inner.probe_started = Some(now);
                    Admission::Probe
                } else {
                    Admission::Rejected(Duration::ZERO)
                }
            }
        }
    }

    /// True when a call now would not touch the network.
    pub fn is_open(&self, now: Instant) -> bool {
        let inner = self.inner.lock();
        match inner.state {
            BreakerState::Closed => false,
            BreakerState::Open => inner
                .opened_at
                .is_some_and(|at| now.saturating_duration_since(at) < self.retry_interval),
            BreakerState::HalfOpen => true,
        }
    }

    pub fn on_success(&self) {
        let mut inner = self.inner.lock();
        if inner.state != BreakerState::Closed {
            log::info!("redis-persona: Redis reachable again, circuit breaker closed");
        }
        inner.state = BreakerState::Closed;
        inner.opened_at = None;
        inner.probe_started = None;
        inner.consecutive_failures = 0;
    }

    pub fn on_failure(&self, now: Instant, error: &str) {
        let mut inner = self.inner.lock();
        inner.consecutive_failures += 1;
        inner.last_error = Some(error.to_owned());
        if inner.state == BreakerState::Closed {
            inner.times_opened += 1;
            log::warn!(
                "redis-persona: circuit breaker opened for {} ms after: {error}",
                self.retry_interval.as_millis()
            );
        }
        inner.state = BreakerState::Open;
        inner.opened_at = Some(now);
        inner.probe_started = None;
    }

    pub fn snapshot(&self, now: Instant) -> BreakerSnapshot {
        let inner = self.inner.lock();
        let retry_in = match (inner.state, inner.opened_at) {
            (BreakerState::Open, Some(at)) => self
                .retry_interval
                .saturating_sub(now.saturating_duration_since(at)),
            _ => Duration::ZERO,
        };
        BreakerSnapshot {
            state: inner.state,
            consecutive_failures: inner.consecutive_failures,
            times_opened: inner.times_opened,
            retry_in,
            last_error: inner.last_error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn closed_breaker_admits_everything() {
        let b = Breaker::new(SEC, SEC);
        let t = Instant::now();
        assert_eq!(b.admit(t), Admission::Allowed);
        assert!(!b.is_open(t));
    }

    #[test]
    fn a_failure_opens_then_one_probe_after_the_interval() {
        let b = Breaker::new(SEC, 5 * SEC);
        let t0 = Instant::now();
        b.on_failure(t0, "refused");
        assert!(b.is_open(t0));
        assert_eq!(
            b.admit(t0 + Duration::from_millis(400)),
            Admission::Rejected(Duration::from_millis(600))
        );
        assert!(!b.is_open(t0 + SEC), "due for a probe, not open any more");
        assert_eq!(b.admit(t0 + SEC), Admission::Probe);
        // While the probe runs, others still fail fast.
        assert_eq!(b.admit(t0 + SEC), Admission::Rejected(Duration::ZERO));
        b.on_success();
        assert_eq!(b.admit(t0 + SEC), Admission::Allowed);
        let s = b.snapshot(t0 + SEC);
        assert_eq!(s.state, BreakerState::Closed);
        assert_eq!(s.times_opened, 1);
        assert_eq!(s.last_error.as_deref(), Some("refused"));
    }

    #[test]
    fn a_failed_probe_reopens_for_a_full_interval() {
        let b = Breaker::new(SEC, 5 * SEC);
        let t0 = Instant::now();
        b.on_failure(t0, "refused");
        assert_eq!(b.admit(t0 + SEC), Admission::Probe);
        b.on_failure(t0 + SEC, "refused again");
        assert!(matches!(
            b.admit(t0 + SEC + Duration::from_millis(999)),
            Admission::Rejected(_)
        ));
        assert_eq!(b.admit(t0 + 2 * SEC), Admission::Probe);
        let s = b.snapshot(t0 + 2 * SEC);
        assert_eq!(s.consecutive_failures, 2);
        assert_eq!(
            s.times_opened, 1,
            "re-opening from half-open is the same outage"
        );
    }

    #[test]
    fn a_lost_probe_is_replaced_after_the_deadline() {
        let b = Breaker::new(SEC, 2 * SEC);
        let t0 = Instant::now();
        b.on_failure(t0, "x");
        assert_eq!(b.admit(t0 + SEC), Admission::Probe);
        assert!(matches!(b.admit(t0 + 2 * SEC), Admission::Rejected(_)));
        assert_eq!(b.admit(t0 + 3 * SEC), Admission::Probe);
    }
}
