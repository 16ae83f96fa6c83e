//! Breaker state shared by every process of one user on this machine.
//!
//! Why: PHP-FPM runs many worker processes. With a breaker per process, each
//! worker discovers an outage on its own and pays the read timeout for it,
//! then pays it again on each of its probes: measured under load with Redis
//! frozen, p99 went from ~300 ms to 708 ms and requests passed 2 s. With the
//! state in shared memory, the first worker to see the failure opens the
//! breaker for all of them, and one probe per interval runs machine-wide.
//!
//! How: one small file per (uid, server) in `/dev/shm` (`/tmp` if that is
//! unusable), mapped `MAP_SHARED` into each process on first use of a pool
//! for that server (never at module start, which runs in the FPM master
//! before the fork; a mapping inherited over a fork stays valid and shared,
//! so it is kept). The cells are plain atomics: reading "down until" before
//! each call is one atomic load plus a vDSO clock read, no system call and
//! no lock. The probe is elected with one compare-and-swap on that same
//! timestamp, so two processes never probe at once.
//!
//! Safety: the file is opened with `O_NOFOLLOW`, must be a regular file owned
//! by this user with mode 0600, and carries a magic number; anything else
//! (no /dev/shm, a read-only /tmp, a file planted by another user, an older
//! layout) leaves the breaker per process, as it was before: never an error.
//! The state is advisory: a torn or stale value can at worst make one call
//! wait for a probe or try the server early.

use std::collections::HashMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

/// "rp-brk-1" as a number: the layout below, version 1.
const MAGIC: u64 = 0x7270_2d62_726b_2d31;
const FILE_BYTES: usize = 4096;

/// The breaker state of one server, as laid out in the shared file.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Cell {
    magic: AtomicU64,
    /// Monotonic ns until which nobody may call the server; 0 = closed.
    pub down_until_ns: AtomicU64,
    /// The current (backed-off) retry interval, in ms.
    pub interval_ms: AtomicU64,
    /// How often the breaker opened (all processes).
    pub times_opened: AtomicU64,
    /// The process that last opened the breaker or failed a probe.
    pub failed_pid: AtomicU32,
    /// The process probing now (0: none); for reports only.
    pub probe_pid: AtomicU32,
    /// Monotonic ns of the last reply any process got from the server (0:
    /// none yet). Appended after version 1's fields: a file made by an older
    /// build has zeros here, which reads as "no reply yet".
    pub last_reply_ns: AtomicU64,
}

const _: () = assert!(std::mem::size_of::<Cell>() <= FILE_BYTES);

/// Where a breaker keeps its state.
pub enum Home {
    /// Mapped from this file; shared with the user's other processes.
    Shared(&'static Cell, PathBuf),
    /// This process only (the file could not be used).
    Local(Box<Cell>),
}

impl Home {
    pub fn local() -> Home {
        Home::Local(Box::default())
    }

    pub fn cell(&self) -> &Cell {
        match self {
            Home::Shared(cell, _) => cell,
            Home::Local(cell) => cell,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Home::Shared(_, path) => Some(path),
            Home::Local(_) => None,
        }
    }
}

/// The current time on the clock every process shares, in ns.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: plain out-parameter call; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Mappings made by this process (or inherited from its parent), by file.
static MAPPED: Mutex<Option<HashMap<PathBuf, &'static Cell>>> = Mutex::new(None);

/// The shared state for `server` (any string naming the server and the
/// credentials), or process-local state when no file can be used.
pub fn home_for(server: &str) -> Home {
    home_in(&[PathBuf::from("/dev/shm"), std::env::temp_dir()], server)
}

/// [`home_for`] with the directories to try, in order.
fn home_in(dirs: &[PathBuf], server: &str) -> Home {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let name = format!(
        "redis-persona-{uid}-{}-{:016x}",
        label(server),
        fnv1a(server.as_bytes())
    );
    for dir in dirs {
        let path = dir.join(&name);
        let mut mapped = MAPPED.lock();
        let table = mapped.get_or_insert_with(HashMap::new);
        if let Some(cell) = table.get(&path) {
            return Home::Shared(cell, path);
        }
        match map(&path, uid) {
            Ok(cell) => {
                table.insert(path.clone(), cell);
                return Home::Shared(cell, path);
            }
            Err(why) => log::debug!(
                "redis-persona: breaker state not shared through {}: {why}",
                path.display()
            ),
        }
    }
    log::info!("redis-persona: circuit breaker state is per process (no shared file)");
    Home::local()
}

fn map(path: &Path, uid: libc::uid_t) -> Result<&'static Cell, String> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: open/fstat/posix_fallocate/mmap/close on a descriptor we own; every
    // result is checked, and the mapping is never unmapped, so the 'static
    // reference stays valid for the life of the process (and its children).
    unsafe {
        let fd = libc::open(
            c_path.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0o600,
        );
        if fd < 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        let result = map_fd(fd, uid);
        libc::close(fd);
        result
    }
}

/// # Safety
/// `fd` must be an open descriptor.
unsafe fn map_fd(fd: libc::c_int, uid: libc::uid_t) -> Result<&'static Cell, String> {
    let mut st: libc::stat = std::mem::zeroed();
    if libc::fstat(fd, &raw mut st) != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_uid != uid || st.st_mode & 0o077 != 0 {
        return Err("not a private regular file of this user".into());
    }
    // Allocated, not only sized: a sparse page on a full tmpfs would turn
    // the first write through the mapping into SIGBUS (a dead PHP worker);
    // posix_fallocate fails cleanly instead (and leaves the breaker local).
    if (st.st_size as usize) < FILE_BYTES {
        let err = libc::posix_fallocate(fd, 0, FILE_BYTES as libc::off_t);
        if err != 0 {
            return Err(std::io::Error::from_raw_os_error(err).to_string());
        }
    }
    let addr = libc::mmap(
        std::ptr::null_mut(),
        FILE_BYTES,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_SHARED,
        fd,
        0,
    );
    if addr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // A fresh file is zeroed (all cells valid as "closed"); claim it.
    let cell = &*addr.cast::<Cell>();
    let _ = cell
        .magic
        .compare_exchange(0, MAGIC, Ordering::AcqRel, Ordering::Acquire);
    if cell.magic.load(Ordering::Acquire) != MAGIC {
        libc::munmap(addr, FILE_BYTES);
        return Err("unknown layout (another version?)".into());
    }
    Ok(cell)
}

/// The address part of `server` (before the first `|`) as file-name-safe
/// text, so an operator listing /dev/shm sees which server a file is for.
fn label(server: &str) -> String {
    let address = server.split('|').next().unwrap_or("");
    let mut out = String::new();
    for c in address.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(48).collect()
}

/// FNV-1a, 64 bits: a hash that is the same in every process and build.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_server_shared_by_every_mapping() {
        let server = format!("test-{}-{}", std::process::id(), now_ns());
        let a = home_for(&server);
        let b = home_for(&server);
        let path = a.path().expect("shared").to_owned();
        assert_eq!(b.path(), Some(path.as_path()));
        a.cell().down_until_ns.store(42, Ordering::Relaxed);
        assert_eq!(b.cell().down_until_ns.load(Ordering::Relaxed), 42);
        assert_ne!(home_for("other").path(), Some(path.as_path()));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_foreign_or_odd_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("rp-shared-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loose = dir.join("loose");
        std::fs::write(&loose, b"").unwrap();
        std::fs::set_permissions(&loose, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        assert!(map(&loose, unsafe { libc::geteuid() }).is_err());
        let link = dir.join("link");
        let _ = std::os::unix::fs::symlink(&loose, &link);
        assert!(map(&link, unsafe { libc::geteuid() }).is_err());
        let other = dir.join("other");
        std::fs::write(&other, vec![7u8; FILE_BYTES]).unwrap();
        std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        assert!(
            map(&other, unsafe { libc::geteuid() }).is_err(),
            "bad magic"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn without_a_usable_directory_the_state_is_per_process() {
        let missing = PathBuf::from("/nonexistent/redis-persona-test");
        let home = home_in(&[missing.clone(), missing], "server");
        assert!(home.path().is_none());
        home.cell().down_until_ns.store(1, Ordering::Relaxed);
        let other = home_in(&[PathBuf::from("/nonexistent")], "server");
        assert_eq!(
            other.cell().down_until_ns.load(Ordering::Relaxed),
            0,
            "not shared"
        );
    }

    #[test]
    fn file_names_show_the_address() {
        assert_eq!(
            label("Tcp(\"127.0.0.1\", 6379)|user|pw"),
            "Tcp-127.0.0.1-6379"
        );
        assert_eq!(label("Unix(\"/run/redis.sock\")||"), "Unix-run-redis.sock");
    }

    #[test]
    fn the_clock_moves_forward() {
        let a = now_ns();
        let b = now_ns();
        assert!(a > 0 && b >= a);
    }
}
