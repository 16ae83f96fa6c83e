//! The client's view of its Redis deployment: one server, a cluster or a
//! Sentinel-watched master. `Client` sends every call through here with
//! its route; single-node calls go straight to the one pool, as before.

use std::sync::Arc;

use parking_lot::Mutex;
use redis::{FromRedisValue, Script};

use crate::batch::Batch;
use crate::cluster::{cluster_for, Cluster};
use crate::config::{ClientConfig, TopologyConfig};
use crate::error::Result;
use crate::health::{NodeReport, TopologyReport};
use crate::nodes::Nodes;
use crate::pool::{pool_for, Pool, Retry};
use crate::route::Route;
use crate::scripting::query_with_scripts;
use crate::sentinel::{sentinel_for, Sentinel};

pub(crate) enum Topology {
    /// Cached pool; re-resolved when the process has forked since.
    Single(Mutex<Arc<Pool>>),
    Cluster(Arc<Cluster>),
    Sentinel(Arc<Sentinel>),
}

impl Topology {
    pub(crate) fn new(config: &Arc<ClientConfig>) -> Result<Topology> {
        Ok(match &config.topology {
            TopologyConfig::Single => Topology::Single(Mutex::new(pool_for(config)?)),
            TopologyConfig::Cluster { .. } => Topology::Cluster(cluster_for(config)),
            TopologyConfig::Sentinel { .. } => Topology::Sentinel(sentinel_for(config)),
        })
    }

    pub(crate) fn run<T>(
        &self,
        config: &Arc<ClientConfig>,
        route: Route<'_>,
        retry: Retry,
        f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        match self {
            Topology::Single(cached) => this_process(cached, config)?.run(retry, f),
            Topology::Cluster(cluster) => cluster.run(route, retry, f),
            Topology::Sentinel(sentinel) => sentinel.run(route, retry, f),
        }
    }

    pub(crate) fn run_batch<T: FromRedisValue>(
        &self,
        config: &Arc<ClientConfig>,
        retry: Retry,
        batch: Batch,
        scripts: &[&Script],
    ) -> Result<Vec<T>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Topology::Cluster(cluster) => batch.run_on_cluster(cluster, retry, scripts),
            _ => {
                let pipe = batch.into_pipeline();
                self.run(config, Route::Any, retry, |con| {
                    query_with_scripts(con, &pipe, scripts)
                })
            }
        }
    }

    /// The pools of every master (one on a single node).
    pub(crate) fn master_pools(&self, config: &Arc<ClientConfig>) -> Result<Vec<Arc<Pool>>> {
        match self {
            Topology::Single(cached) => Ok(vec![this_process(cached, config)?]),
            Topology::Cluster(cluster) => Ok(cluster
                .master_pools()?
                .into_iter()
                .map(|(_, p)| p)
                .collect()),
            Topology::Sentinel(sentinel) => {
                // Resolve the master through a call, so discovery runs.
                let addr = sentinel.run(Route::Any, Retry::Idempotent, |con| {
                    redis::cmd("PING").query::<redis::Value>(con)
                });
                addr?;
                let master = sentinel.master().unwrap_or_default();
                Ok(vec![sentinel.nodes().pool(&master, false)?])
            }
        }
    }
}

impl Topology {
    /// The pool of the node that answered last (the only one, on one server).
    pub(crate) fn answering_pool(&self, config: &Arc<ClientConfig>) -> Option<Arc<Pool>> {
        match self {
            Topology::Single(cached) => this_process(cached, config).ok(),
            Topology::Cluster(c) => c.nodes().existing(&c.nodes().answered_by()?, false),
            Topology::Sentinel(s) => s.nodes().existing(&s.nodes().answered_by()?, false),
        }
    }

    /// Nodes, roles, slots and this process's view of each (no I/O: a
    /// cluster's map is as of its last refresh).
    pub(crate) fn report(&self, config: &Arc<ClientConfig>) -> TopologyReport {
        let mut report = empty_report(config);
        match self {
            Topology::Single(cached) => {
                let pool = this_process(cached, config).ok();
                if pool
                    .as_ref()
                    .is_some_and(|p| p.since_last_reply().is_some())
                {
                    report.answered_by = Some(crate::nodes::addr_of(&config.info));
                }
                report.nodes.push(node_report(
                    crate::nodes::addr_of(&config.info),
                    "master",
                    String::new(),
                    pool,
                ));
            }
            Topology::Cluster(cluster) => cluster_report(cluster, &mut report),
            Topology::Sentinel(sentinel) => sentinel_report(sentinel, &mut report),
        }
        report
    }
}

/// The cluster and Sentinel setups this process has used (for `phpinfo()`).
pub fn all_reports() -> Vec<TopologyReport> {
    let mut reports = Vec::new();
    for cluster in crate::cluster::all() {
        let mut report = empty_report(cluster.nodes().template());
        cluster_report(&cluster, &mut report);
        reports.push(report);
    }
    for sentinel in crate::sentinel::all() {
        let mut report = empty_report(sentinel.nodes().template());
        sentinel_report(&sentinel, &mut report);
        reports.push(report);
    }
    reports
}

fn empty_report(config: &ClientConfig) -> TopologyReport {
    TopologyReport {
        mode: config.topology.mode(),
        service: None,
        nodes: Vec::new(),
        answered_by: None,
        failovers: 0,
        refreshes: 0,
        read_from_replicas: config.read_from_replicas,
    }
}

fn cluster_report(cluster: &Cluster, report: &mut TopologyReport) {
    let map = cluster.map();
    let nodes = cluster.nodes();
    for master in map.masters() {
        let slots = map.slots_of(&master);
        let pool = nodes.existing(&master, false);
        report
            .nodes
            .push(node_report(master, "master", slots, pool));
    }
    for replica in map.replicas() {
        let pool = nodes.existing(&replica, true);
        report
            .nodes
            .push(node_report(replica, "replica", String::new(), pool));
    }
    counters(report, nodes);
}

fn sentinel_report(sentinel: &Sentinel, report: &mut TopologyReport) {
    let nodes = sentinel.nodes();
    report.service = Some(sentinel.service().to_owned());
    if let Some(master) = sentinel.master() {
        let pool = nodes.existing(&master, false);
        report
            .nodes
            .push(node_report(master, "master", String::new(), pool));
    }
    for replica in sentinel.replicas() {
        let pool = nodes.existing(&replica, false);
        report
            .nodes
            .push(node_report(replica, "replica", String::new(), pool));
    }
    for addr in sentinel.sentinel_addrs() {
        let pool = sentinel.sentinel_pool(&addr);
        report
            .nodes
            .push(node_report(addr, "sentinel", String::new(), pool));
    }
    counters(report, nodes);
}

fn counters(report: &mut TopologyReport, nodes: &Nodes) {
    use std::sync::atomic::Ordering;
    report.answered_by = nodes.answered_by();
    report.failovers = nodes.failovers.load(Ordering::Relaxed);
    report.refreshes = nodes.refreshes.load(Ordering::Relaxed);
}

fn node_report(
    address: String,
    role: &'static str,
    slots: String,
    pool: Option<Arc<Pool>>,
) -> NodeReport {
    let (breaker, connections) = match pool {
        Some(pool) => {
            let stats = pool.stats();
            (
                pool.breaker_snapshot().state.as_str(),
                stats.idle + stats.in_use,
            )
        }
        None => ("closed", 0),
    };
    NodeReport {
        address,
        role,
        slots,
        breaker,
        connections,
    }
}

/// The one pool of a single-node client: this process's own, re-resolved
/// when the process has forked since it was cached.
fn this_process(cached: &Mutex<Arc<Pool>>, config: &Arc<ClientConfig>) -> Result<Arc<Pool>> {
    let mut cached = cached.lock();
    if cached.pid() != crate::process::pid() {
        *cached = pool_for(config)?;
    }
    Ok(Arc::clone(&cached))
}
