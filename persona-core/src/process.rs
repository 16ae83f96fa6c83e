//! The current process id, cheaply. Every call checks "has this process
//! forked since?" (pools, counters and fences are per process), and glibc
//! no longer caches `getpid()`, so each check would be a system call. The
//! pid is cached and refreshed by a `pthread_atfork` child handler, which
//! runs in the child of every `fork()` (PHP-FPM's workers, `pcntl_fork()`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

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
        let registered = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        PID.store(std::process::id(), Ordering::Relaxed);
        if registered != 0 {
            log::warn!("redis-persona: pthread_atfork failed; pid checks use getpid()");
        }
    });
    match PID.load(Ordering::Relaxed) {
        0 => std::process::id(),
        pid => pid,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_is_the_process_id() {
        assert_eq!(super::pid(), std::process::id());
    }
}
