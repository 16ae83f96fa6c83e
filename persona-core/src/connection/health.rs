//! The health report: what `Client::health()` returns and the dashboard shows.

use std::time::Duration;

use crate::breaker::BreakerSnapshot;
use crate::config::ClientConfig;
use crate::pool::{Pool, PoolStats};

/// Facts from `INFO` that an operator needs at a glance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerInfo {
    pub version: Option<String>,
    /// `standalone`, `cluster` or `sentinel`.
    pub mode: Option<String>,
    pub used_memory: Option<u64>,
    pub used_memory_peak: Option<u64>,
    /// 0 means no limit.
    pub maxmemory: Option<u64>,
    pub maxmemory_policy: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub connected_clients: Option<u64>,
}

impl ServerInfo {
    /// Parses the `field:value` lines of an `INFO` reply; unknown lines are
    /// ignored, so any server version works.
    pub fn parse(text: &str) -> ServerInfo {
        let mut info = ServerInfo::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim_end().split_once(':') else {
                continue;
            };
            let number = || value.parse::<u64>().ok();
            match key {
                "redis_version" => info.version = Some(value.to_owned()),
                "redis_mode" => info.mode = Some(value.to_owned()),
                "used_memory" => info.used_memory = number(),
                "used_memory_peak" => info.used_memory_peak = number(),
                "maxmemory" => info.maxmemory = number(),
                "maxmemory_policy" => info.maxmemory_policy = Some(value.to_owned()),
                "uptime_in_seconds" => info.uptime_seconds = number(),
                "connected_clients" => info.connected_clients = number(),
                _ => {}
            }
        }
        info
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// `ok` or `down`.
    pub status: &'static str,
    pub url: String,
    pub prefix: String,
    pub latency: Option<Duration>,
    pub server: ServerInfo,
    pub pool: Option<PoolStats>,
    pub breaker: Option<BreakerSnapshot>,
    pub error: Option<String>,
    pub topology: TopologyReport,
}

/// What the client knows of its deployment (`health()['topology']`).
#[derive(Debug, Clone, PartialEq)]
pub struct TopologyReport {
    /// `single`, `cluster` or `sentinel`.
    pub mode: &'static str,
    /// The Sentinel service name.
    pub service: Option<String>,
    pub nodes: Vec<NodeReport>,
    /// The node that answered this process's last call.
    pub answered_by: Option<String>,
    /// Master changes this process has seen.
    pub failovers: u64,
    /// Topology refreshes (CLUSTER SLOTS, Sentinel queries) it made.
    pub refreshes: u64,
    pub read_from_replicas: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// `host:port`.
    pub address: String,
    /// `master`, `replica` or `sentinel`.
    pub role: &'static str,
    /// Slot ranges served as master (cluster), e.g. "0-5460".
    pub slots: String,
    /// This process's breaker for the node (`closed` when never used).
    pub breaker: &'static str,
    /// This process's open connections to the node.
    pub connections: usize,
}

impl Health {
    pub fn reachable(
        config: &ClientConfig,
        pool: Option<&Pool>,
        latency: Duration,
        server: ServerInfo,
        topology: TopologyReport,
    ) -> Health {
        Health {
            status: "ok",
            url: config.display_url.clone(),
            prefix: config.prefix.clone(),
            latency: Some(latency),
            server,
            pool: pool.map(Pool::stats),
            breaker: pool.map(Pool::breaker_snapshot),
            error: None,
            topology,
        }
    }

    pub fn unreachable(
        config: &ClientConfig,
        pool: Option<&Pool>,
        error: String,
        topology: TopologyReport,
    ) -> Health {
        Health {
            status: "down",
            url: config.display_url.clone(),
            prefix: config.prefix.clone(),
            latency: None,
            server: ServerInfo::default(),
            pool: pool.map(Pool::stats),
            breaker: pool.map(Pool::breaker_snapshot),
            error: Some(error),
            topology,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_picked_out() {
        let text = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\
                    uptime_in_seconds:42\r\n# Memory\r\nused_memory:1024\r\n\
                    used_memory_peak:2048\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n\
                    garbage\r\nconnected_clients:3\r\n";
        let info = ServerInfo::parse(text);
        assert_eq!(info.version.as_deref(), Some("7.0.15"));
        assert_eq!(info.mode.as_deref(), Some("standalone"));
        assert_eq!(info.used_memory, Some(1024));
        assert_eq!(info.used_memory_peak, Some(2048));
        assert_eq!(info.maxmemory, Some(0));
        assert_eq!(info.maxmemory_policy.as_deref(), Some("noeviction"));
        assert_eq!(info.uptime_seconds, Some(42));
        assert_eq!(info.connected_clients, Some(3));
    }
}
