//! Telling a frozen server from a slow call, before the read timeout.
//!
//! Why: the breaker helps only once some call has failed, and the first
//! failure costs the read timeout. Under load that cost is paid many times
//! over: when Redis froze, every PHP-FPM worker was in a call, all of them
//! waited the read timeout together, and the requests queued behind them
//! waited as well. Measured with `benches/freeze-bench.sh` (4 workers, 8
//! connections, read timeout 500 ms): at the onset of the freeze all 8 pages
//! in flight took 590-635 ms, the only pages over 600 ms in the run, and
//! (with wrk's correction for the requests they held up) tripled p99.
//!
//! Rule: a call that has waited [`StallWatch::after`] (twice
//! `probe_timeout`) is stalled when, over that whole time, no byte came in on
//! its socket and no process of this user on this machine got a reply from
//! the server (the last-reply time in the shared breaker cell). A live server
//! answers a PING within `probe_timeout` (that is what the option says), so
//! one that answers nobody for twice as long is frozen, hung, or busy with
//! one command for that long, which for a page is the same thing. The call
//! is cut and fails as a timeout, which opens the breaker for every process;
//! a call of any process that has waited half as long is cut as soon as it
//! sees the breaker open, instead of waiting for its own verdict.
//!
//! Spared: a reply still streaming in (`TCP_INFO` says when data last
//! arrived; on a Unix socket there is no such report and silence is
//! assumed), a server that keeps answering other processes (this connection
//! alone is slow: its read timeout decides), and everything when twice the
//! probe timeout is not below the read timeout (then the read timeout
//! decides, as before).

use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use crate::breaker::Breaker;
use crate::shared::now_ns;

/// How often a call past half its stall limit is looked at again.
pub const POLL: Duration = Duration::from_millis(20);

/// Why the watchdog ended a call early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// Nobody heard from the server for the stall limit.
    Silent,
    /// Another call (maybe in another process) opened the breaker meanwhile.
    BreakerOpened,
}

/// The stall rule for the calls of one pool.
pub struct StallWatch {
    breaker: Arc<Breaker>,
    after: Duration,
}

impl StallWatch {
    /// The watch for a pool, or None when the stall limit (twice
    /// `probe_timeout`) would not come before the read timeout.
    pub fn new(
        breaker: Arc<Breaker>,
        probe_timeout: Duration,
        read_timeout: Duration,
    ) -> Option<StallWatch> {
        let after = probe_timeout.saturating_mul(2);
        (after < read_timeout).then_some(StallWatch { breaker, after })
    }

    /// How long a silent call waits before it is declared stalled.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// The age at which a call is first looked at.
    pub fn first_check(&self) -> Duration {
        self.after / 2
    }

    /// Whether the call on `fd`, running for `age`, should be cut now.
    pub fn verdict(&self, fd: RawFd, age: Duration) -> Option<Stall> {
        let now = now_ns();
        if age >= self.first_check() && self.breaker.is_open(now) {
            return Some(Stall::BreakerOpened);
        }
        let silent = |quiet: Duration| quiet >= self.after;
        let stalled = silent(age)
            && silent(self.breaker.silent_for(now))
            && socket_quiet_for(fd).is_none_or(silent);
        stalled.then_some(Stall::Silent)
    }
}

/// How long ago data last arrived on TCP socket `fd` (None: not TCP, or the
/// kernel does not say).
pub fn socket_quiet_for(fd: RawFd) -> Option<Duration> {
    // SAFETY: getsockopt into a zeroed tcp_info of the size passed; the
    // kernel writes at most `len` bytes and reports how many it wrote.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let ok = libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast::<libc::c_void>(),
            &raw mut len,
        ) == 0;
        let needed = std::mem::offset_of!(libc::tcp_info, tcpi_last_data_recv) + 4;
        (ok && len as usize >= needed)
            .then(|| Duration::from_millis(u64::from(info.tcpi_last_data_recv)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::Home;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    fn watch(probe_ms: u64, read_ms: u64) -> Option<StallWatch> {
        let breaker = Arc::new(Breaker::new(
            Duration::from_secs(1),
            Duration::from_secs(1),
            Home::local(),
        ));
        StallWatch::new(
            breaker,
            Duration::from_millis(probe_ms),
            Duration::from_millis(read_ms),
        )
    }

    #[test]
    fn no_watch_unless_it_comes_before_the_read_timeout() {
        assert!(watch(250, 500).is_none());
        assert_eq!(
            watch(100, 500).map(|w| w.after()),
            Some(Duration::from_millis(200))
        );
    }

    #[test]
    fn silence_everywhere_is_a_stall_and_a_reply_anywhere_is_not() {
        let w = watch(100, 500).unwrap();
        let young = Duration::from_millis(150);
        let old = Duration::from_millis(250);
        assert_eq!(w.verdict(-1, young), None, "not waited long enough");
        assert_eq!(w.verdict(-1, old), Some(Stall::Silent), "never a reply");
        w.breaker.on_success(now_ns());
        assert_eq!(w.verdict(-1, old), None, "another call just got a reply");
        w.breaker.on_failure(now_ns(), "timed out");
        assert_eq!(w.verdict(-1, young), Some(Stall::BreakerOpened));
        assert_eq!(w.verdict(-1, Duration::from_millis(50)), None);
    }

    #[test]
    fn a_socket_still_receiving_is_not_stalled() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
        peer.write_all(b"+partial").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let quiet = socket_quiet_for(fd).expect("TCP_INFO on a TCP socket");
        assert!(quiet < Duration::from_millis(200), "{quiet:?}");
        let w = watch(100, 500).unwrap();
        assert_eq!(w.verdict(fd, Duration::from_millis(250)), None);
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(
            w.verdict(fd, Duration::from_millis(250)),
            Some(Stall::Silent)
        );
    }
}
