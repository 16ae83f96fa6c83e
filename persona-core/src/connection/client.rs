//! The client every feature goes through: a validated configuration plus the
//! process's pool for it. Cheap to create (no I/O; the pool is shared), so PHP
//! code may build one per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::health::{Health, ServerInfo};
use crate::pool::{pool_for, Pool, Retry};

pub struct Client {
    config: Arc<ClientConfig>,
    /// Server settings plus prefix: what process-wide tables key on.
    namespace: String,
    /// Cached pool; re-resolved when the process has forked since.
    pool: Mutex<Arc<Pool>>,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        // ClientConfig's fields are public: a config built by hand never
        // went through the parser, and its prefix becomes key text (and
        // purge()'s SCAN pattern), so it is checked here again.
        crate::config::validate_prefix(&config.prefix)
            .map_err(|message| crate::Error::invalid("prefix", message))?;
        let config = Arc::new(config);
        let pool = pool_for(&config)?;
        Ok(Client {
            namespace: format!("{}|{}", config.pool_key(), config.prefix),
            config,
            pool: Mutex::new(pool),
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

    /// This process's pool. An object created before `fork()` keeps working in
    /// the child, on the child's own connections.
    pub(crate) fn pool(&self) -> Result<Arc<Pool>> {
        let mut cached = self.pool.lock();
        if cached.pid() != crate::process::pid() {
            *cached = pool_for(&self.config)?;
        }
        Ok(Arc::clone(&cached))
    }

    /// Runs `f` on a pooled connection (see [`Pool::run`]). Crate-private:
    /// raw commands bypass the validated key types.
    pub(crate) fn run<T>(
        &self,
        retry: Retry,
        f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        self.pool()?.run(retry, f)
    }

    /// [`Client::run`] for this crate's integration tests (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn run_raw<T>(
        &self,
        retry: Retry,
        f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        self.run(retry, f)
    }

    /// This client's pool, for this crate's integration tests (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn test_pool(&self) -> Result<Arc<Pool>> {
        self.pool()
    }

    /// Round trip time of one PING.
    pub fn ping(&self) -> Result<Duration> {
        let pool = self.pool()?;
        let start = Instant::now();
        pool.run(Retry::Idempotent, |con| {
            redis::cmd("PING").query::<redis::Value>(con)
        })?;
        Ok(start.elapsed())
    }

    /// Deletes every key of this prefix (`{prefix}:*`), walking the keyspace
    /// with `SCAN` and deleting each batch with one `UNLINK`. For uninstalling
    /// a site: it is O(keyspace) and never on a request path. The prefix has
    /// no glob characters (see `validate_prefix`), so the pattern matches
    /// exactly the prefix's keys. Returns how many keys were deleted.
    pub fn purge(&self) -> Result<u64> {
        let pattern = format!("{}:*", self.config.prefix);
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = self.run(Retry::Idempotent, |con| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(con)
            })?;
            if !keys.is_empty() {
                deleted += self.run(Retry::Idempotent, |con| {
                    redis::cmd("UNLINK").arg(&keys).query::<u64>(con)
                })?;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// Whether Redis can be used now. Never fails. No I/O while the breaker is
    /// open; no I/O either when the server answered within the last retry
    /// interval (a page calling this per request adds no round trip).
    /// Otherwise one PING decides.
    pub fn is_available(&self) -> bool {
        let Ok(pool) = self.pool() else {
            return false;
        };
        if pool.breaker_is_open() {
            return false;
        }
        if pool
            .since_last_reply()
            .is_some_and(|ago| ago < self.config.retry_interval)
        {
            return true;
        }
        self.ping().is_ok()
    }

    /// Status, latency, server facts, pool and breaker state. Never fails:
    /// when Redis is unavailable the report says so.
    pub fn health(&self) -> Health {
        let pool = match self.pool() {
            Ok(pool) => pool,
            Err(e) => return Health::unreachable(&self.config, None, e.to_string()),
        };
        // Latency is a PING's round trip; INFO is larger and slower to build.
        let start = Instant::now();
        let ping = pool.run(Retry::Idempotent, |con| {
            redis::cmd("PING").query::<redis::Value>(con)
        });
        let latency = start.elapsed();
        let info = ping.and_then(|_| {
            pool.run(Retry::Idempotent, |con| {
                redis::cmd("INFO").query::<String>(con)
            })
        });
        match info {
            Ok(text) => Health::reachable(&self.config, &pool, latency, ServerInfo::parse(&text)),
            Err(e) => Health::unreachable(&self.config, Some(&pool), e.to_string()),
        }
    }
}
