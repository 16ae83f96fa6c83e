//! Getting a connection: an idle one from the pool, or a new one made on
//! the caller's thread (so a connect error keeps its exact cause), with its
//! socket descriptor found for the watchdog.

use std::os::fd::RawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Lease, Pool};
use crate::error::{classify, ConnectionKind, Error, Result};
use crate::watchdog;

/// Idle connections older than this are checked before use.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Whether the server closed a connection while it sat idle (a restart, a
/// failover's `CLIENT KILL`, an idle timeout). Without this check the first
/// call on it failed, and a write is never resent, so each PHP worker paid
/// one error per restarted node. Only connections idle for a while are
/// checked: one non-blocking `recv(MSG_PEEK)`, about a microsecond, at most
/// once per request in a PHP-FPM worker. Pending bytes are not taken as a
/// sign of death (a TLS server may send session tickets unasked).
fn closed_while_idle(fd: Option<RawFd>, since: Instant) -> bool {
    let Some(fd) = fd else {
        return false;
    };
    if since.elapsed() < CHECK_IDLE_AFTER {
        return false;
    }
    let mut byte = [0u8; 1];
    // SAFETY: a one-byte peek into a local buffer on a descriptor this pool
    // owns; MSG_DONTWAIT never blocks and MSG_PEEK consumes nothing.
    let got = unsafe {
        libc::recv(
            fd,
            byte.as_mut_ptr().cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    match got {
        0 => true,
        n if n > 0 => false,
        _ => !matches!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EAGAIN | libc::EINTR)
        ),
    }
}

impl Pool {
    /// A connection, waiting at most `wait` for a busy pool and giving a new
    /// connection `wait` to connect.
    pub(super) fn checkout(&self, wait: Duration) -> Result<Lease<'_>> {
        let deadline = Instant::now() + wait;
        let mut slots = self.slots.lock();
        loop {
            if let Some(pooled) = slots.idle.pop() {
                if closed_while_idle(pooled.fd, pooled.since) {
                    // Dropping it closes our end; the next idle one (or a
                    // new connection) serves the call instead.
                    self.discarded.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                slots.in_use += 1;
                return Ok(Lease {
                    pool: self,
                    con: Some(pooled.con),
                    fd: pooled.fd,
                    reused: true,
                });
            }
            if slots.in_use + slots.idle.len() < self.config.pool_size {
                // Reserve the slot, then connect without holding the lock.
                slots.in_use += 1;
                drop(slots);
                let mut lease = Lease {
                    pool: self,
                    con: None,
                    fd: None,
                    reused: false,
                };
                let (con, fd) = self.connect(wait)?;
                lease.con = Some(con);
                lease.fd = fd;
                return Ok(lease);
            }
            if self.returned.wait_until(&mut slots, deadline).timed_out() {
                return Err(Error::connection(
                    ConnectionKind::PoolExhausted,
                    format!(
                        "all {} connections to {} stayed busy for {} ms; raise pool_size",
                        self.config.pool_size,
                        self.config.display_url,
                        wait.as_millis()
                    ),
                ));
            }
        }
    }

    fn connect(&self, timeout: Duration) -> Result<(redis::Connection, Option<RawFd>)> {
        // The watchdog needs the socket; redis-rs does not say which it is.
        let before = self.watchdog.as_ref().map(|_| watchdog::sockets());
        let mut con = self
            .client
            .get_connection_with_timeout(timeout)
            .map_err(|e| self.connect_error(&e))?;
        let fd = before.and_then(|before| watchdog::new_socket(&before, &watchdog::sockets()));
        con.set_read_timeout(Some(self.config.read_timeout))
            .and_then(|()| con.set_write_timeout(Some(self.config.write_timeout)))
            .map_err(|e| self.connect_error(&e))?;
        if self.config.readonly_replica {
            // A cluster replica answers reads of its slots only after
            // READONLY; without it every read is MOVED to the master.
            redis::cmd("READONLY")
                .query::<()>(&mut con)
                .map_err(|e| self.connect_error(&e))?;
        }
        self.created.fetch_add(1, Ordering::Relaxed);
        log::debug!(
            "redis-persona: pid {} connected to {}",
            self.pid,
            self.config.display_url
        );
        Ok((con, fd))
    }

    fn connect_error(&self, err: &redis::RedisError) -> Error {
        match classify(err, true) {
            Error::Connection { kind, message } => Error::Connection {
                kind,
                message: format!("cannot connect to {}: {message}", self.config.display_url),
            },
            other => other,
        }
    }
}
