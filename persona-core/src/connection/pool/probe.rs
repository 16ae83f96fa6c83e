//! The circuit breaker's probe: what the one call let through after an open
//! interval does before the real command. It must be cheap when the server
//! is still down (a frozen server otherwise costs the probing request a full
//! read timeout, every interval), so connect and PING share one short budget,
//! `probe_timeout`.

use std::time::{Duration, Instant};

use super::Pool;
use crate::error::{classify, ConnectionKind, Error, Result};

impl Pool {
    /// The half-open breaker's test: a fresh connection and a PING, all
    /// within `probe_timeout`. Idle connections are dropped first: after an
    /// outage they are suspect, and a fresh connect proves the server accepts.
    pub(super) fn probe(&self) -> Result<()> {
        let budget = self.config.probe_timeout;
        let start = Instant::now();
        self.clear_idle();
        let mut lease = self.checkout(budget)?;
        let Some(con) = lease.con.as_mut() else {
            return Err(Error::connection(
                ConnectionKind::Io,
                "no connection leased",
            ));
        };
        let left = budget
            .saturating_sub(start.elapsed())
            .max(Duration::from_millis(1));
        let timeouts = |con: &redis::Connection, read, write| {
            con.set_read_timeout(Some(read))
                .and_then(|()| con.set_write_timeout(Some(write)))
        };
        let outcome = timeouts(con, left, left)
            .and_then(|()| redis::cmd("PING").query::<redis::Value>(con))
            .and_then(|_| timeouts(con, self.config.read_timeout, self.config.write_timeout));
        match outcome {
            Ok(()) => Ok(()),
            Err(raw) => {
                lease.discard();
                Err(match classify(&raw, false) {
                    Error::Connection { kind, message } => Error::Connection {
                        kind,
                        message: format!(
                            "probe of {} failed within {} ms: {message}",
                            self.config.display_url,
                            budget.as_millis()
                        ),
                    },
                    other => other,
                })
            }
        }
    }
}
