//! The current process id, cheaply. Every call checks "has this process
//! forked since?" (pools, counters and fences are per process), and glibc
//! no longer caches `getpid()`, so each check would be a system call. The
//! pid is cached and refreshed by a `pthread_atfork` child handler, which
//! runs in the child of every `fork()` (PHP-FPM's workers, `pcntl_fork()`).
//!
//! The cache is only trustworthy while that handler is registered: if
//! `pthread_atfork` fails, nothing would refresh it in a child, which would
//! then use its parent's pid and its parent's sockets. So the pid is cached
//! only after registration succeeded; otherwise every call asks the kernel.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// The cached pid; 0 means "not cached, ask the kernel".
static PID: AtomicU32 = AtomicU32::new(0);
static REGISTER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    PID.store(std::process::id(), Ordering::Relaxed);
}

/// This process's id.
pub fn pid() -> u32 {
    REGISTER.call_once(|| {
        // SAFETY: registers a handler that only stores an integer; it is
        // async-signal-safe as a fork child handler must be.
        let status = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        cache_if_registered(&PID, status);
    });
    cached_or_kernel(&PID)
}

/// Caches the pid in `cache` only when the fork handler was registered
/// (`status` 0), so a cached pid is always refreshed across a fork.
fn cache_if_registered(cache: &AtomicU32, status: libc::c_int) {
    if status == 0 {
        cache.store(std::process::id(), Ordering::Relaxed);
    } else {
        log::warn!("redis-persona: pthread_atfork failed ({status}); pid checks use getpid()");
    }
}

fn cached_or_kernel(cache: &AtomicU32) -> u32 {
    match cache.load(Ordering::Relaxed) {
        0 => std::process::id(),
        pid => pid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_is_the_process_id() {
        assert_eq!(pid(), std::process::id());
    }

    #[test]
    fn a_failed_registration_leaves_nothing_cached() {
        let cache = AtomicU32::new(0);
        cache_if_registered(&cache, libc::ENOMEM);
        assert_eq!(cache.load(Ordering::Relaxed), 0, "nothing would refresh it");
        assert_eq!(cached_or_kernel(&cache), std::process::id());
        cache_if_registered(&cache, 0);
        assert_eq!(cache.load(Ordering::Relaxed), std::process::id());
    }

    #[test]
    fn a_forked_child_sees_its_own_pid() {
        let parent = pid();
        // SAFETY: the child only calls async-signal-safe functions (getpid
        // through pid(), which is cached or a plain syscall) and _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0);
        if child == 0 {
            let ok = pid() == std::process::id() && pid() != parent;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(child, &raw mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    }
}
