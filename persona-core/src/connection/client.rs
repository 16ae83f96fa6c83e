//! The client every feature goes through: a validated configuration plus the
//! process's pools for it (one server, or each node of a cluster or Sentinel
//! setup; `topology.rs`). Cheap to create (no I/O; pools and slot maps are
//! shared by the process), so PHP code may build one per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::{FromRedisValue, Script};

use crate::batch::Batch;
use crate::config::ClientConfig;
use crate::error::Result;
use crate::health::{Health, ServerInfo};
use crate::pool::{Pool, Retry};
use crate::route::{slot, Route};
use crate::topology::Topology;

pub struct Client {
    config: Arc<ClientConfig>,
    /// Server settings plus prefix: what process-wide tables key on.
    namespace: String,
    topology: Topology,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        // ClientConfig's fields are public: a config built by hand never
        // went through the parser, and its prefix becomes key text (and
        // purge()'s SCAN pattern), so it is checked here again.
        crate::config::validate_prefix(&config.prefix)
            .map_err(|message| crate::Error::invalid("prefix", message))?;
        let config = Arc::new(config);
        let topology = Topology::new(&config)?;
        Ok(Client {
            namespace: format!("{}|{}", config.pool_key(), config.prefix),
            config,
            topology,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Identifies this client's server and prefix within the process.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn prefix(&self) -> &str {
        &self.config.prefix
    }

    /// Runs `f` on a pooled connection to the node serving `route` (see
    /// [`Pool::run`]). Crate-private: raw commands bypass the validated key
    /// types. An object created before `fork()` keeps working in the child,
    /// on the child's own connections.
    pub(crate) fn run<T>(
        &self,
        route: Route<'_>,
        retry: Retry,
        f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        self.topology.run(&self.config, route, retry, f)
    }

    /// Sends a batch of commands for several slots (see `batch.rs`): one
    /// round trip on one server, one per master on a cluster. Replies of
    /// the kept commands, in order.
    pub(crate) fn run_batch<T: FromRedisValue>(
        &self,
        retry: Retry,
        batch: Batch,
        scripts: &[&Script],
    ) -> Result<Vec<T>> {
        self.topology.run_batch(&self.config, retry, batch, scripts)
    }

    /// Whether this client talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.topology, Topology::Cluster(_))
    }

    /// How many single-slot units (a post's keys, a bucket's) one script
    /// may take: one on a cluster, where a script must stay in one slot;
    /// up to `one_server` on one server, where any keys may share a script
    /// and each script saved is its set-up cost saved.
    pub(crate) fn slots_per_script(&self, one_server: usize) -> usize {
        if self.is_cluster() {
            1
        } else {
            one_server.max(1)
        }
    }

    /// [`Client::run`] for this crate's integration tests (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn run_raw<T>(
        &self,
        route: Route<'_>,
        retry: Retry,
        f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        self.run(route, retry, f)
    }

    /// The pool of the node that answered last (the only one, on one
    /// server), for this crate's integration tests (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn test_pool(&self) -> Result<Arc<Pool>> {
        self.ping()?;
        self.topology
            .answering_pool(&self.config)
            .ok_or_else(|| crate::Error::connection(crate::ConnectionKind::Io, "no node answered"))
    }

    /// Round trip time of one PING.
    pub fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.run(Route::Any, Retry::Idempotent, |con| {
            redis::cmd("PING").query::<redis::Value>(con)
        })?;
        Ok(start.elapsed())
    }

    /// Deletes every key of this prefix (`{prefix}:*`), walking the keyspace
    /// of every master with `SCAN` and deleting each batch with `UNLINK`
    /// (one per hash slot on a cluster, where one command may not span
    /// slots). For uninstalling a site: it is O(keyspace) and never on a
    /// request path. The prefix has no glob characters (see
    /// `validate_prefix`), so the pattern matches exactly the prefix's keys.
    /// Returns how many keys were deleted.
    pub fn purge(&self) -> Result<u64> {
        let pattern = format!("{}:*", self.config.prefix);
        let per_slot = self.is_cluster();
        let mut deleted = 0;
        for pool in self.topology.master_pools(&self.config)? {
            deleted += purge_node(&pool, &pattern, per_slot)?;
        }
        Ok(deleted)
    }

    /// Whether Redis can be used now. Never fails. No I/O while the breaker is
    /// open; no I/O either when the server answered within the last retry
    /// interval (a page calling this per request adds no round trip).
    /// Otherwise one PING decides.
    pub fn is_available(&self) -> bool {
        if let Some(pool) = self.topology.answering_pool(&self.config) {
            // One server: an open breaker answers. A cluster or Sentinel
            // setup may already serve from another node: the PING below
            // finds out (it follows a failover).
            if self.config.topology.mode() == "single" && pool.breaker_is_open() {
                return false;
            }
            if !pool.breaker_is_open()
                && pool
                    .since_last_reply()
                    .is_some_and(|ago| ago < self.config.retry_interval)
            {
                return true;
            }
        }
        self.ping().is_ok()
    }

    /// Status, latency, server facts, pool and breaker state. Never fails:
    /// when Redis is unavailable the report says so.
    pub fn health(&self) -> Health {
        // Latency is a PING's round trip; INFO is larger and slower to build.
        let start = Instant::now();
        let ping = self.run(Route::Any, Retry::Idempotent, |con| {
            redis::cmd("PING").query::<redis::Value>(con)
        });
        let latency = start.elapsed();
        let info = ping.and_then(|_| {
            self.run(Route::Any, Retry::Idempotent, |con| {
                redis::cmd("INFO").query::<String>(con)
            })
        });
        let pool = self.topology.answering_pool(&self.config);
        let topology = self.topology.report(&self.config);
        match info {
            Ok(text) => Health::reachable(
                &self.config,
                pool.as_deref(),
                latency,
                ServerInfo::parse(&text),
                topology,
            ),
            Err(e) => Health::unreachable(&self.config, pool.as_deref(), e.to_string(), topology),
        }
    }
}

/// `SCAN` one node for `pattern` and unlink what it finds; on a cluster
/// node, one `UNLINK` per hash slot.
fn purge_node(pool: &Pool, pattern: &str, per_slot: bool) -> Result<u64> {
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = pool.run(Retry::Idempotent, |con| {
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query(con)
        })?;
        if !keys.is_empty() {
            let mut groups: HashMap<u16, Vec<&[u8]>> = HashMap::new();
            for key in &keys {
                let group = if per_slot { slot(key) } else { 0 };
                groups.entry(group).or_default().push(key);
            }
            let mut pipe = redis::pipe();
            for group in groups.values() {
                pipe.cmd("UNLINK").arg(group);
            }
            let counts: Vec<u64> = pool.run(Retry::Idempotent, |con| pipe.query(con))?;
            deleted += counts.iter().sum::<u64>();
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}
