//! `RedisPersona\Client`: the PHP face of `persona_core::Client`.

use std::sync::Arc;

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use persona_core::health::Health;
use persona_core::{ClientConfig, Key};

use crate::args::{Bytes, Int, Options};
use crate::build_array::{Arr, List};
use crate::errors::OrThrow;
use crate::{ini, logging};

/// Connection to one Redis server, pooled and persistent per PHP process.
#[php_class]
#[php(name = "RedisPersona\\Client", flags = ClassFlags::Final)]
pub struct Client {
    inner: Arc<persona_core::Client>,
}

impl Client {
    /// The core client, for the other classes of the extension.
    pub fn core(&self) -> &Arc<persona_core::Client> {
        &self.inner
    }
}

#[php_impl]
impl Client {
    /// Creates a client. No I/O happens here: connections are made on first
    /// use and shared by every client of the process with the same settings.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(url: Option<Bytes>, options: Options) -> PhpResult<Self> {
        logging::refresh_level();
        let config = ClientConfig::build(
            url.as_ref().map(Bytes::as_slice),
            &options.0,
            &ini::defaults(),
        )
        .or_throw()?;
        let inner = persona_core::Client::new(config).or_throw()?;
        Ok(Client {
            inner: Arc::new(inner),
        })
    }

    /// Round trip of one PING, in milliseconds.
    pub fn ping(&self) -> PhpResult<f64> {
        let took = self.inner.ping().or_throw()?;
        Ok(took.as_secs_f64() * 1000.0)
    }

    /// Whether Redis is usable now; never throws.
    pub fn is_available(&self) -> bool {
        self.inner.is_available()
    }

    /// Status, latency, server, memory, pool and breaker state; never throws.
    pub fn health(&self) -> ZBox<ZendHashTable> {
        health_array(&self.inner.health())
    }

    /// The value stored under `$key` (in this client's `kv` namespace), or
    /// null when there is none.
    pub fn get(&self, key: Bytes) -> PhpResult<Option<Bytes>> {
        let key = Key::parse("key", key.as_slice()).or_throw()?;
        Ok(self.inner.get_value(&key).or_throw()?.map(Bytes))
    }

    /// Stores a binary-safe value for `$ttl` seconds (1 s to 30 days).
    #[php(defaults(ttl = 3600i64))]
    pub fn set(&self, key: Bytes, value: Bytes, ttl: Int) -> PhpResult<bool> {
        let key = Key::parse("key", key.as_slice()).or_throw()?;
        self.inner
            .set_value(&key, value.as_slice(), ttl.0)
            .or_throw()?;
        Ok(true)
    }

    /// Removes `$key`; true when it existed.
    pub fn delete(&self, key: Bytes) -> PhpResult<bool> {
        let key = Key::parse("key", key.as_slice()).or_throw()?;
        self.inner.delete_value(&key).or_throw()
    }

    /// Deletes every key under this client's prefix (uninstalling a site);
    /// the number deleted.
    pub fn purge(&self) -> PhpResult<i64> {
        let deleted = self.inner.purge().or_throw()?;
        Ok(i64::try_from(deleted).unwrap_or(i64::MAX))
    }

    /// The key prefix every feature of this client writes under.
    pub fn prefix(&self) -> String {
        self.inner.prefix().to_owned()
    }
}

fn health_array(h: &Health) -> ZBox<ZendHashTable> {
    let memory = Arr::new()
        .set("used", h.server.used_memory.map(|v| v as i64))
        .set("peak", h.server.used_memory_peak.map(|v| v as i64))
        .set("max", h.server.maxmemory.map(|v| v as i64))
        .set("policy", h.server.maxmemory_policy.clone())
        .build();
    let pool = h.pool.as_ref().map(|p| {
        Arr::new()
            .set("pid", i64::from(p.pid))
            .set("size", p.max_size as i64)
            .set("idle", p.idle as i64)
            .set("in_use", p.in_use as i64)
            .set("connections_created", p.connections_created as i64)
            .set("connections_discarded", p.connections_discarded as i64)
            .build()
    });
    let breaker = h.breaker.as_ref().map(|b| {
        Arr::new()
            .set("state", b.state.as_str())
            .set("consecutive_failures", b.consecutive_failures as i64)
            .set("times_opened", b.times_opened as i64)
            .set("retry_in_ms", b.retry_in.as_secs_f64() * 1000.0)
            .set("retry_interval_ms", b.retry_interval.as_millis() as i64)
            .set("times_opened_shared", b.times_opened_shared as i64)
            .set("failed_pid", i64::from(b.failed_pid))
            .set("shared", b.shared_path.clone())
            .set("last_error", b.last_error.clone())
            .build()
    });
    let t = &h.topology;
    let nodes: List = t
        .nodes
        .iter()
        .map(|n| {
            Arr::new()
                .set("address", n.address.clone())
                .set("role", n.role)
                .set("slots", n.slots.clone())
                .set("breaker", n.breaker)
                .set("connections", n.connections as i64)
                .build()
        })
        .collect();
    let topology = Arr::new()
        .set("mode", t.mode)
        .set("service", t.service.clone())
        .set("nodes", nodes.build())
        .set("answered_by", t.answered_by.clone())
        .set("failovers", t.failovers as i64)
        .set("refreshes", t.refreshes as i64)
        .set("read_from_replicas", t.read_from_replicas)
        .build();
    Arr::new()
        .set("status", h.status)
        .set("url", h.url.clone())
        .set("prefix", h.prefix.clone())
        .set("latency_ms", h.latency.map(|d| d.as_secs_f64() * 1000.0))
        .set("server_version", h.server.version.clone())
        .set("mode", h.server.mode.clone())
        .set("uptime_seconds", h.server.uptime_seconds.map(|v| v as i64))
        .set(
            "connected_clients",
            h.server.connected_clients.map(|v| v as i64),
        )
        .set("memory", memory)
        .set("pool", pool)
        .set("breaker", breaker)
        .set("error", h.error.clone())
        .set("topology", topology)
        .build()
}
