//! What cluster and Sentinel clients share: the pools of the nodes they
//! talk to (one per address, created on first use, so a worker connects
//! only to nodes it needs), how a failed call is read (redirect, refusal,
//! or a node that failed), and the counters the topology report shows.
//!
//! Process model: a `Nodes` table lives as long as the process and is
//! shared by every client with the same topology. It holds configurations
//! and `Arc<Pool>`s, never sockets of its own: a pool whose pid is not this
//! process's (inherited over `fork()`) is replaced through the registry,
//! which builds the child's own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::{ErrorKind, ServerErrorKind};

use crate::config::ClientConfig;
use crate::error::{ConnectionKind, Error, Result, UnavailableCode};
use crate::pool::Pool;
use crate::registry::pool_for;

/// The node-level reason a call failed, read from the raw reply before the
/// pool classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// The slot lives elsewhere for good: update the map, go there.
    Moved { slot: u16, addr: String },
    /// The slot is migrating: ask the target this once (`ASKING`).
    Ask { addr: String },
    /// A multi-key command hit keys split by a migration: wait, resend.
    TryAgain,
    /// The node is no longer a master (`READONLY`) or the cluster is
    /// reconfiguring (`CLUSTERDOWN`, `MASTERDOWN`): nothing ran; the
    /// topology changed under us.
    Demoted,
}

/// Reads a raw error for a redirect; None for everything else. A pipeline's
/// error counts by its first failed command (a call's pipeline stays in one
/// slot, so its commands are redirected alike).
pub(crate) fn redirect_of(err: &redis::RedisError) -> Option<Redirect> {
    match err.kind() {
        ErrorKind::Server(ServerErrorKind::Moved) => {
            let (addr, slot) = redirect_target(err)?;
            Some(Redirect::Moved { slot, addr })
        }
        ErrorKind::Server(ServerErrorKind::Ask) => {
            let (addr, _) = redirect_target(err)?;
            Some(Redirect::Ask { addr })
        }
        ErrorKind::Server(ServerErrorKind::TryAgain) => Some(Redirect::TryAgain),
        ErrorKind::Server(ServerErrorKind::ReadOnly)
        | ErrorKind::Server(ServerErrorKind::ClusterDown)
        | ErrorKind::Server(ServerErrorKind::MasterDown) => Some(Redirect::Demoted),
        _ => None,
    }
}

/// `(addr, slot)` of a MOVED/ASK reply, alone or inside a pipeline's error
/// (whose detail redis-rs keeps per failed command).
fn redirect_target(err: &redis::RedisError) -> Option<(String, u16)> {
    if let Some((addr, slot)) = err.redirect_node() {
        return Some((addr.to_owned(), slot));
    }
    let failures = err.clone().into_server_errors()?;
    let mut detail = failures.first()?.1.details()?.split_ascii_whitespace();
    let slot = detail.next()?.parse().ok()?;
    Some((detail.next()?.to_owned(), slot))
}

/// Whether the node (not the command) failed: the topology may have moved.
pub(crate) fn node_failed(err: &Error) -> bool {
    match err.connection_kind() {
        Some(ConnectionKind::Unavailable(code)) => matches!(
            code,
            UnavailableCode::ReadOnly
                | UnavailableCode::ClusterDown
                | UnavailableCode::MasterDown
                | UnavailableCode::Loading
        ),
        Some(ConnectionKind::Handshake) => false,
        Some(_) => true,
        None => false,
    }
}

/// Whether the command certainly never reached a server, so sending it to
/// another node cannot run it twice: the breaker refused, the connect
/// failed, or no connection was free.
pub(crate) fn not_sent(err: &Error) -> bool {
    matches!(
        err.connection_kind(),
        Some(ConnectionKind::BreakerOpen | ConnectionKind::Refused | ConnectionKind::PoolExhausted)
    )
}

/// `host:port` split at its last colon (IPv6 hosts contain colons).
pub(crate) fn split_addr(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    Some((host, port.parse().ok()?))
}

/// `host:port` of a connection's address.
pub(crate) fn addr_of(info: &redis::ConnectionInfo) -> String {
    match info.addr() {
        redis::ConnectionAddr::Tcp(host, port)
        | redis::ConnectionAddr::TcpTls { host, port, .. } => {
            format!("{host}:{port}")
        }
        redis::ConnectionAddr::Unix(path) => path.display().to_string(),
        other => format!("{other:?}"),
    }
}

/// A refresh not forced by a redirect or a demotion waits this long after
/// the last one.
pub(crate) const REFRESH_EVERY: Duration = Duration::from_millis(100);
/// With replica reads on, the view of the replicas is refreshed at least
/// this often, so a replica that left, failed or lost its master stops
/// being read within this long.
pub(crate) const REPLICA_VIEW_MAX_AGE: Duration = Duration::from_secs(5);

/// The process's topology views (a cluster's slot map, a Sentinel
/// service's master), one per configuration, shared by clients alike.
pub(crate) struct Views<T>(Mutex<Option<HashMap<String, Arc<T>>>>);

impl<T> Views<T> {
    pub(crate) const fn new() -> Views<T> {
        Views(Mutex::new(None))
    }

    /// The view for `config`, made on first use.
    pub(crate) fn get(
        &self,
        config: &Arc<ClientConfig>,
        make: impl FnOnce(Arc<ClientConfig>) -> T,
    ) -> Arc<T> {
        let mut guard = self.0.lock();
        let table = guard.get_or_insert_with(HashMap::new);
        Arc::clone(
            table
                .entry(config.pool_key())
                .or_insert_with(|| Arc::new(make(Arc::clone(config)))),
        )
    }

    /// Every view made so far, for `phpinfo()`.
    pub(crate) fn all(&self) -> Vec<Arc<T>> {
        self.0
            .lock()
            .as_ref()
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// When a view was last refreshed, and the rate limit on refreshing it.
#[derive(Default)]
pub(crate) struct RefreshClock(Mutex<Option<Instant>>);

impl RefreshClock {
    /// Whether to refresh now (always when `force`, else at most once per
    /// [`REFRESH_EVERY`]); records the refresh when it says yes.
    pub(crate) fn start(&self, force: bool) -> bool {
        let mut last = self.0.lock();
        if !force && last.is_some_and(|at| at.elapsed() < REFRESH_EVERY) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    /// How long ago the last refresh was (forever when there was none).
    pub(crate) fn age(&self) -> Duration {
        self.0.lock().map_or(Duration::MAX, |at| at.elapsed())
    }
}

struct Node {
    config: Arc<ClientConfig>,
    pool: Arc<Pool>,
}

/// The pools of one topology's nodes in this process, plus its counters.
pub(crate) struct Nodes {
    template: Arc<ClientConfig>,
    table: Mutex<HashMap<(String, bool), Node>>,
    answered_by: Mutex<String>,
    pub(crate) refreshes: AtomicU64,
    pub(crate) failovers: AtomicU64,
}

impl Nodes {
    pub(crate) fn new(template: Arc<ClientConfig>) -> Nodes {
        Nodes {
            template,
            table: Mutex::new(HashMap::new()),
            answered_by: Mutex::new(String::new()),
            refreshes: AtomicU64::new(0),
            failovers: AtomicU64::new(0),
        }
    }

    pub(crate) fn template(&self) -> &Arc<ClientConfig> {
        &self.template
    }

    /// The pool of the node at `addr` (`readonly`: a cluster replica serving
    /// reads), created on first use; this process's own after a fork.
    pub(crate) fn pool(&self, addr: &str, readonly: bool) -> Result<Arc<Pool>> {
        self.pool_with(addr, addr, readonly, &self.template)
    }

    /// [`Nodes::pool`] for a node reached with another template (sentinels
    /// have their own credentials), filed under `label`.
    pub(crate) fn pool_with(
        &self,
        label: &str,
        addr: &str,
        readonly: bool,
        template: &ClientConfig,
    ) -> Result<Arc<Pool>> {
        let pid = crate::process::pid();
        let mut table = self.table.lock();
        let key = (label.to_owned(), readonly);
        if let Some(node) = table.get_mut(&key) {
            if node.pool.pid() != pid {
                node.pool = pool_for(&node.config)?;
            }
            return Ok(Arc::clone(&node.pool));
        }
        let (host, port) = split_addr(addr).ok_or_else(|| {
            Error::Server(format!("the topology named an unusable address '{addr}'"))
        })?;
        let config = Arc::new(template.node(host, port, readonly));
        let pool = pool_for(&config)?;
        table.insert(
            key,
            Node {
                config,
                pool: Arc::clone(&pool),
            },
        );
        Ok(pool)
    }

    /// The pool of `addr` if this process has used it (the report must not
    /// create pools).
    pub(crate) fn existing(&self, addr: &str, readonly: bool) -> Option<Arc<Pool>> {
        let pid = crate::process::pid();
        self.table
            .lock()
            .get(&(addr.to_owned(), readonly))
            .map(|n| Arc::clone(&n.pool))
            .filter(|p| p.pid() == pid)
    }

    pub(crate) fn answered(&self, addr: &str) {
        let mut last = self.answered_by.lock();
        if last.as_str() != addr {
            last.clear();
            last.push_str(addr);
        }
    }

    pub(crate) fn answered_by(&self) -> Option<String> {
        let last = self.answered_by.lock();
        (!last.is_empty()).then(|| last.clone())
    }

    pub(crate) fn count_refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_failovers(&self, n: u64) {
        self.failovers.fetch_add(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_at_the_last_colon() {
        assert_eq!(split_addr("127.0.0.1:7000"), Some(("127.0.0.1", 7000)));
        assert_eq!(split_addr("[::1]:7000"), Some(("::1", 7000)));
        assert_eq!(split_addr("::1:7000"), Some(("::1", 7000)));
        assert_eq!(split_addr(":7000"), None);
        assert_eq!(split_addr("host"), None);
        assert_eq!(split_addr("host:x"), None);
    }

    #[test]
    fn only_redirect_replies_are_redirects() {
        let moved = redis::RedisError::from((
            ErrorKind::Server(ServerErrorKind::Moved),
            "An error was signalled by the server",
            "3999 127.0.0.1:6381".to_string(),
        ));
        assert_eq!(
            redirect_of(&moved),
            Some(Redirect::Moved {
                slot: 3999,
                addr: "127.0.0.1:6381".into()
            })
        );
        let other = redis::RedisError::from((ErrorKind::Io, "broken"));
        assert_eq!(redirect_of(&other), None);
    }
}
