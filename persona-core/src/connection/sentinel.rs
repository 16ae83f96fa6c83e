//! Sentinel: the master of a service is asked of the sentinels on first
//! use, checked with `ROLE`, and asked again when it fails or answers
//! `READONLY` (a demoted master), so a failover is followed without a
//! restart. Calls that failed while the old master was dying cost their
//! callers an error, as with one server; the breaker of the dead master
//! makes the rest fail fast until the sentinels promote a replica, and the
//! first call after that goes to the new master.
//!
//! The sentinels' credentials are their own (in their URLs); the data
//! nodes use the client's URL template (`topology_config.rs`). Reading
//! from replicas, when enabled, sends cache reads to a replica the
//! sentinels list as healthy.
//!
//! Process model: one `Sentinel` per topology per process; pools per node
//! per process (`nodes.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use crate::config::{ClientConfig, TopologyConfig};
use crate::error::{ConnectionKind, Error, Result};
use crate::nodes::{
    addr_of, node_failed, not_sent, redirect_of, Nodes, Redirect, RefreshClock, Views,
    REPLICA_VIEW_MAX_AGE,
};
use crate::pool::{Pool, Retry};
use crate::route::Route;

const MAX_ATTEMPTS: u32 = 4;

pub(crate) struct Sentinel {
    nodes: Nodes,
    /// Each sentinel's address and configuration (its own credentials).
    sentinels: Vec<(String, ClientConfig)>,
    service: String,
    master: RwLock<Option<String>>,
    replicas: RwLock<Vec<String>>,
    last_discovery: RefreshClock,
    next_replica: AtomicUsize,
}

static SENTINELS: Views<Sentinel> = Views::new();

/// This process's `Sentinel` for `config` (shared by clients alike).
pub(crate) fn sentinel_for(config: &Arc<ClientConfig>) -> Arc<Sentinel> {
    SENTINELS.get(config, Sentinel::new)
}

/// Every Sentinel setup this process has used, for `phpinfo()`.
pub(crate) fn all() -> Vec<Arc<Sentinel>> {
    SENTINELS.all()
}

impl Sentinel {
    fn new(config: Arc<ClientConfig>) -> Sentinel {
        let (sentinels, service) = match &config.topology {
            TopologyConfig::Sentinel {
                sentinels, service, ..
            } => {
                let list = sentinels
                    .iter()
                    .map(|info| {
                        let mut own = (*config).clone();
                        // A sentinel has no databases: SELECT would fail.
                        let settings = info.redis_settings().clone().set_db(0);
                        own.info = info.clone().set_redis_settings(settings);
                        own.topology = TopologyConfig::Single;
                        (addr_of(info), own)
                    })
                    .collect();
                (list, service.clone())
            }
            _ => (Vec::new(), String::new()),
        };
        Sentinel {
            nodes: Nodes::new(config),
            sentinels,
            service,
            master: RwLock::new(None),
            replicas: RwLock::new(Vec::new()),
            last_discovery: RefreshClock::default(),
            next_replica: AtomicUsize::new(0),
        }
    }

    pub(crate) fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    pub(crate) fn service(&self) -> &str {
        &self.service
    }

    pub(crate) fn master(&self) -> Option<String> {
        self.master.read().clone()
    }

    pub(crate) fn replicas(&self) -> Vec<String> {
        self.replicas.read().clone()
    }

    pub(crate) fn sentinel_addrs(&self) -> Vec<String> {
        self.sentinels.iter().map(|(a, _)| a.clone()).collect()
    }

    /// The pool of a sentinel, if this process has used it.
    pub(crate) fn sentinel_pool(&self, addr: &str) -> Option<Arc<Pool>> {
        self.nodes.existing(&format!("sentinel:{addr}"), false)
    }

    /// Runs `f` on the master (or a replica, for cache reads when enabled).
    pub(crate) fn run<T>(
        &self,
        route: Route<'_>,
        retry: Retry,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let mut use_replica = route.replica_ok() && self.nodes.template().read_from_replicas;
        let mut last_error = None;
        for attempt in 0..MAX_ATTEMPTS {
            let (addr, is_replica) = self.node_for(use_replica)?;
            let pool = self.nodes.pool(&addr, false)?;
            let mut seen = None;
            let result = pool.run(retry, |con| {
                let outcome = f(con);
                if let Err(e) = &outcome {
                    seen = redirect_of(e);
                }
                outcome
            });
            let err = match result {
                Ok(value) => {
                    self.nodes.answered(&addr);
                    return Ok(value);
                }
                Err(err) => err,
            };
            if is_replica && (node_failed(&err) || seen.is_some()) {
                use_replica = false;
            } else if seen == Some(Redirect::Demoted) {
                // READONLY: the write did not run; the master moved.
                if !self.discover(true) {
                    std::thread::sleep(Duration::from_millis(20 << attempt.min(4)));
                }
            } else if node_failed(&err) {
                self.discover(false);
                let moved = self.master().as_deref() != Some(addr.as_str());
                if !(moved && (retry == Retry::Idempotent || not_sent(&err))) {
                    return Err(err);
                }
            } else {
                return Err(err);
            }
            last_error = Some(err);
        }
        Err(last_error.unwrap_or_else(|| {
            Error::connection(ConnectionKind::Io, "sentinel: too many attempts")
        }))
    }

    fn node_for(&self, replica: bool) -> Result<(String, bool)> {
        if self.master.read().is_none() {
            self.discover(true);
        }
        if replica && self.last_discovery.age() > REPLICA_VIEW_MAX_AGE {
            // A replica that lost its master keeps serving stale data; the
            // sentinels stop listing it as healthy, so ask again now and then.
            self.discover(false);
        }
        if replica {
            let replicas = self.replicas.read();
            if !replicas.is_empty() {
                let i = self.next_replica.fetch_add(1, Ordering::Relaxed) % replicas.len();
                return Ok((replicas[i].clone(), true));
            }
        }
        self.master().map(|m| (m, false)).ok_or_else(|| {
            Error::connection(
                ConnectionKind::Refused,
                format!(
                    "no sentinel ({}) named a master for service '{}'",
                    self.sentinel_addrs().join(", "),
                    self.service
                ),
            )
        })
    }

    /// Asks the sentinels for the master (and healthy replicas); true when
    /// the master changed. Without `force`, at most once per 100 ms.
    pub(crate) fn discover(&self, force: bool) -> bool {
        if !self.last_discovery.start(force) {
            return false;
        }
        self.nodes.count_refresh();
        let mut fallback = None;
        for (addr, config) in &self.sentinels {
            let Ok(pool) = self
                .nodes
                .pool_with(&format!("sentinel:{addr}"), addr, false, config)
            else {
                continue;
            };
            let Some(master) = self.ask_master(&pool) else {
                continue;
            };
            // A sentinel may still name a master that was just demoted;
            // only a node that says it is a master is taken at once.
            if !self.is_master(&master) {
                fallback.get_or_insert(master);
                continue;
            }
            if self.nodes.template().read_from_replicas {
                *self.replicas.write() = self.ask_replicas(&pool);
            }
            return self.install(master);
        }
        fallback.is_some_and(|m| self.install(m))
    }

    fn install(&self, master: String) -> bool {
        let mut current = self.master.write();
        if current.as_deref() == Some(master.as_str()) {
            return false;
        }
        if current.is_some() {
            self.nodes.count_failovers(1);
        }
        *current = Some(master);
        true
    }

    fn ask_master(&self, pool: &Pool) -> Option<String> {
        let reply: Option<(String, String)> = pool
            .run(Retry::Idempotent, |con| {
                redis::cmd("SENTINEL")
                    .arg("get-master-addr-by-name")
                    .arg(&self.service)
                    .query(con)
            })
            .ok()?;
        let (host, port) = reply?;
        Some(format!("{host}:{}", port.parse::<u16>().ok()?))
    }

    fn is_master(&self, addr: &str) -> bool {
        let Ok(pool) = self.nodes.pool(addr, false) else {
            return false;
        };
        pool.run(Retry::Idempotent, |con| {
            redis::cmd("ROLE").query::<redis::Value>(con)
        })
        .ok()
        .and_then(|role| match role {
            redis::Value::Array(items) => match items.first() {
                Some(redis::Value::BulkString(b)) => Some(b.as_slice() == b"master"),
                Some(redis::Value::SimpleString(s)) => Some(s == "master"),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or(false)
    }

    fn ask_replicas(&self, pool: &Pool) -> Vec<String> {
        let rows: Vec<HashMap<String, String>> = pool
            .run(Retry::Idempotent, |con| {
                redis::cmd("SENTINEL")
                    .arg("replicas")
                    .arg(&self.service)
                    .query(con)
            })
            .unwrap_or_default();
        rows.iter()
            .filter(|row| {
                let flags = row.get("flags").map_or("", String::as_str);
                !flags.contains("down")
                    && !flags.contains("disconnected")
                    && row.get("master-link-status").is_none_or(|s| s == "ok")
            })
            .filter_map(|row| Some(format!("{}:{}", row.get("ip")?, row.get("port")?)))
            .collect()
    }
}
