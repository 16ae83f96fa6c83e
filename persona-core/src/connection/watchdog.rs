//! One deadline for a whole call, not one per read.
//!
//! Why: a socket read timeout bounds each `recv`, and redis-rs reads every
//! reply of a pipeline even after one timed out. Against a frozen server a
//! pipeline of six commands (the statistics flush at request shutdown) waited
//! six read timeouts: 3 s with the default 500 ms. So each call is armed with
//! a deadline (read timeout + [`SLACK`]); if it is still running then, this
//! process's watchdog thread shuts the socket down, every pending read
//! returns at once, and the pool reports a timeout.
//!
//! Threading: one watchdog thread per process, started on first use (never
//! at module start; a fork leaves the thread behind, so each process starts
//! its own, with its own lock). It never touches PHP, sleeps on a condition
//! variable (parked without a deadline while no call runs) and wakes only at
//! the deadline of a running call, so it costs no CPU. Arming a call is a
//! lock and, only when the thread is parked, one wake-up. If the thread
//! cannot be started, calls simply have per-read timeouts, as before. The
//! library is pinned in memory (`RTLD_NODELETE`) before the thread starts,
//! so PHP unloading the extension at exit cannot pull code from under it.
//!
//! A call may also carry a [`StallWatch`] (`stall.rs`): then the thread
//! looks at it from half its stall limit on, every [`stall::POLL`], and cuts
//! it early when the server has gone silent for everyone or the breaker
//! opened meanwhile. Those looks cost nothing on a healthy server, whose
//! calls end long before the first one.
//!
//! The socket is found by its descriptor: [`new_socket`] diffs this process's
//! socket descriptors around a connect (redis-rs does not expose them).

use std::collections::BTreeSet;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::stall::{self, Stall, StallWatch};

/// Grace after the read timeout before the socket is cut: the first read's
/// own timeout should report first when it is the only read.
pub const SLACK: Duration = Duration::from_millis(30);

struct Armed {
    id: u64,
    fd: RawFd,
    started: Instant,
    deadline: Instant,
    /// The stall rule and when to apply it next.
    stall: Option<(Arc<StallWatch>, Instant)>,
}

impl Armed {
    /// When the thread must look at this call next.
    fn due(&self) -> Instant {
        match &self.stall {
            Some((_, check)) => self.deadline.min(*check),
            None => self.deadline,
        }
    }

    /// Why the call must end now, if it must.
    fn cut_at(&mut self, now: Instant) -> Option<Cut> {
        if self.deadline <= now {
            return Some(Cut::Deadline);
        }
        let (watch, check) = self.stall.as_mut()?;
        if *check > now {
            return None;
        }
        let verdict = watch.verdict(self.fd, now - self.started);
        *check = now + stall::POLL;
        verdict.map(Cut::Stalled)
    }
}

/// Why the watchdog shut a call's socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The call outlived the read timeout (plus [`SLACK`]).
    Deadline,
    /// The server stalled (see `stall.rs`).
    Stalled(Stall),
}

#[derive(Default)]
struct State {
    armed: Vec<Armed>,
    next_id: u64,
    /// Calls whose socket the watchdog shut down (taken by `disarm`).
    fired: Vec<(u64, Cut)>,
    parked: bool,
}

pub struct Watchdog {
    state: Mutex<State>,
    wake: Condvar,
}

/// A running call's ticket; pass it back to [`Watchdog::disarm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

static THIS_PROCESS: Mutex<Option<(u32, Option<Arc<Watchdog>>)>> = Mutex::new(None);

/// This process's watchdog, started on first use; None when no thread can
/// be started here.
pub fn for_this_process() -> Option<Arc<Watchdog>> {
    let pid = crate::process::pid();
    let mut slot = THIS_PROCESS.lock();
    if let Some((owner, dog)) = slot.as_ref() {
        if *owner == pid {
            return dog.clone();
        }
    }
    let dog = start();
    *slot = Some((pid, dog.clone()));
    dog
}

fn start() -> Option<Arc<Watchdog>> {
    if !pin_library() {
        log::info!("redis-persona: whole-call deadlines off (cannot pin the library)");
        return None;
    }
    let dog = Arc::new(Watchdog {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
    });
    let worker = Arc::clone(&dog);
    match std::thread::Builder::new()
        .name("redis-persona-watchdog".into())
        .stack_size(64 * 1024)
        .spawn(move || worker.watch())
    {
        Ok(_) => Some(dog),
        Err(e) => {
            log::info!("redis-persona: whole-call deadlines off (no thread: {e})");
            None
        }
    }
}

impl Watchdog {
    /// Starts watching a call on socket `fd` that must end within `limit`,
    /// and earlier if `stall` says the server stalled.
    pub fn arm(&self, fd: RawFd, limit: Duration, stall: Option<&Arc<StallWatch>>) -> Ticket {
        let now = Instant::now();
        let mut state = self.state.lock();
        state.next_id += 1;
        let id = state.next_id;
        state.armed.push(Armed {
            id,
            fd,
            started: now,
            deadline: now + limit,
            stall: stall.map(|watch| (Arc::clone(watch), now + watch.first_check())),
        });
        if state.parked {
            self.wake.notify_one();
        }
        Ticket(id)
    }

    /// The call ended; why the watchdog cut its socket, if it did.
    pub fn disarm(&self, ticket: Ticket) -> Option<Cut> {
        let mut state = self.state.lock();
        state.armed.retain(|a| a.id != ticket.0);
        let at = state.fired.iter().position(|(id, _)| *id == ticket.0)?;
        Some(state.fired.swap_remove(at).1)
    }

    fn watch(&self) {
        let mut state = self.state.lock();
        loop {
            let now = Instant::now();
            let mut waiting = Vec::with_capacity(state.armed.len());
            for mut call in std::mem::take(&mut state.armed) {
                // Under the lock, so the call cannot end (and its socket
                // close) while it is examined or cut.
                match call.cut_at(now) {
                    Some(cut) => {
                        // SAFETY: shutdown on a descriptor the caller's
                        // connection still owns (the call is running, so it
                        // is not closed); a stale descriptor only makes this
                        // fail.
                        unsafe { libc::shutdown(call.fd, libc::SHUT_RDWR) };
                        state.fired.push((call.id, cut));
                    }
                    None => waiting.push(call),
                }
            }
            state.armed = waiting;
            match state.armed.iter().map(Armed::due).min() {
                Some(next) => {
                    self.wake.wait_until(&mut state, next);
                }
                None => {
                    state.parked = true;
                    self.wake.wait(&mut state);
                    state.parked = false;
                }
            }
        }
    }
}

/// Keeps this shared library mapped until the process exits, so a thread
/// running its code never outlives it (PHP may `dlclose` extensions).
fn pin_library() -> bool {
    // SAFETY: dladdr/dlopen with a pointer into this library and the path
    // the loader reports for it; RTLD_NOLOAD only takes another reference.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let here = pin_library as *const libc::c_void;
        if libc::dladdr(here, &raw mut info) == 0 || info.dli_fname.is_null() {
            return false;
        }
        let handle = libc::dlopen(
            info.dli_fname,
            libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
        );
        if !handle.is_null() {
            return true;
        }
        // Linked into an executable (the Rust tests): never unloaded.
        let path = std::ffi::CStr::from_ptr(info.dli_fname).to_string_lossy();
        let exe = std::env::current_exe().and_then(std::fs::canonicalize);
        matches!((exe, std::fs::canonicalize(path.as_ref())), (Ok(a), Ok(b)) if a == b)
    }
}

/// The socket descriptors this process has open now.
pub fn sockets() -> BTreeSet<RawFd> {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .filter(|fd| {
            // SAFETY: fstat into a zeroed buffer; a closed descriptor fails.
            unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                libc::fstat(*fd, &raw mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFSOCK
            }
        })
        .collect()
}

/// The one socket opened between two [`sockets`] listings, if exactly one was.
pub fn new_socket(before: &BTreeSet<RawFd>, after: &BTreeSet<RawFd>) -> Option<RawFd> {
    let mut new = after.difference(before);
    match (new.next(), new.next()) {
        (Some(fd), None) => Some(*fd),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_call_past_its_deadline_has_its_socket_cut() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let before = sockets();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let fd = new_socket(&before, &sockets()).expect("the new socket is found");
        assert_eq!(fd, std::os::fd::AsRawFd::as_raw_fd(&stream));
        let _peer = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let dog = for_this_process().expect("watchdog");
        let start = Instant::now();
        let ticket = dog.arm(fd, Duration::from_millis(100), None);
        let mut buf = [0u8; 1];
        // The peer never writes: only the watchdog can end this read early.
        let _ = stream.read(&mut buf);
        let took = start.elapsed();
        assert_eq!(dog.disarm(ticket), Some(Cut::Deadline), "reported as cut");
        assert!(took >= Duration::from_millis(90), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn a_call_that_ends_in_time_is_left_alone() {
        let dog = for_this_process().expect("watchdog");
        let ticket = dog.arm(-1, Duration::from_millis(20), None);
        assert_eq!(dog.disarm(ticket), None);
        std::thread::sleep(Duration::from_millis(40));
        assert!(dog.state.lock().armed.iter().all(|a| a.id != ticket.0));
    }
}
