//! Redis Cluster: every call goes to the master owning its hash slot (or a
//! replica, for cache reads, when `read_from_replicas` is on).
//!
//! The slot map comes from `CLUSTER NODES`, asked of a known node on first
//! use and again after `MOVED`, a failed node, `READONLY` or `CLUSTERDOWN`
//! (at most every [`REFRESH_EVERY`] unless a redirect says exactly what
//! changed). `MOVED` is followed at once (the command did not run); a
//! second `MOVED` in one call waits first, since nodes that redirect to each
//! other are still learning a slot's owner by gossip. `ASK`
//! with `ASKING` first, `TRYAGAIN` after a short wait. `ASKING` covers one
//! command: a call that reloads a script on the target, or a pipeline,
//! comes back `MOVED` to the source after its first command. Two `ASKING`
//! attempts cover the reload; after that the call waits and goes back to
//! the owner until the slot's migration ends and the owner answers `MOVED`.
//! A pipeline is never sent whole to the target under `ASKING`: its other
//! keys may still live on the source, and writing them on the target would
//! make the migration fail (`BUSYKEY`). While a slot's keys are split, a
//! call that needs both sides can fail after about 0.6 s; it fails as
//! unavailable, so the plugin falls back, and never returns a wrong answer.
//!
//! Each node has its own pool and circuit breaker (`nodes.rs`): a dead
//! master fails fast for its own slots while the others keep serving. When
//! a node fails, the map is refreshed; if its slots moved (its replica was
//! promoted) the call goes to the new master, provided resending cannot run
//! it twice (reads, or a command that never left: breaker open, refused).
//!
//! Process model: one `Cluster` per topology per process, shared by its
//! clients (registry below). It holds the slot map and node configurations;
//! sockets live in the pools, which are per process (see `pool.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use crate::config::{ClientConfig, TopologyConfig};
use crate::error::{ConnectionKind, Error, Result, UnavailableCode};
use crate::nodes::{
    addr_of, node_failed, not_sent, redirect_of, split_addr, Nodes, Redirect, RefreshClock, Views,
    REPLICA_VIEW_MAX_AGE,
};
use crate::pool::{Pool, Retry};
use crate::route::Route;

pub(crate) mod slot_map;

use slot_map::SlotMap;

/// Redirects and retries one call may take before giving up.
const MAX_ATTEMPTS: u32 = 6;
/// `ASKING` attempts per call (see the module doc).
const MAX_ASKING: u32 = 2;

pub(crate) struct Cluster {
    nodes: Nodes,
    seeds: Vec<String>,
    map: RwLock<Arc<SlotMap>>,
    last_refresh: RefreshClock,
    next_replica: AtomicUsize,
}

static CLUSTERS: Views<Cluster> = Views::new();

/// This process's `Cluster` for `config` (shared by clients alike).
pub(crate) fn cluster_for(config: &Arc<ClientConfig>) -> Arc<Cluster> {
    CLUSTERS.get(config, Cluster::new)
}

/// Every cluster this process has used, for `phpinfo()`.
pub(crate) fn all() -> Vec<Arc<Cluster>> {
    CLUSTERS.all()
}

impl Cluster {
    fn new(config: Arc<ClientConfig>) -> Cluster {
        let seeds = match &config.topology {
            TopologyConfig::Cluster { seeds, .. } => seeds.iter().map(addr_of).collect(),
            _ => Vec::new(),
        };
        Cluster {
            nodes: Nodes::new(config),
            seeds,
            map: RwLock::new(Arc::new(SlotMap::default())),
            last_refresh: RefreshClock::default(),
            next_replica: AtomicUsize::new(0),
        }
    }

    pub(crate) fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    pub(crate) fn map(&self) -> Arc<SlotMap> {
        Arc::clone(&self.map.read())
    }

    /// Runs `f` on the node serving `route`, following redirects.
    pub(crate) fn run<T>(
        &self,
        route: Route<'_>,
        retry: Retry,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let slot = route.slot();
        let mut use_replica = route.replica_ok() && self.nodes.template().read_from_replicas;
        let mut ask: Option<String> = None;
        let mut asked = 0;
        let mut moves = 0;
        let mut redirected = false;
        let mut last_error = None;
        for attempt in 0..MAX_ATTEMPTS {
            let asking = ask.is_some();
            let (addr, readonly) = match ask.take() {
                Some(addr) => (addr, false),
                None => self.node_for(slot, use_replica)?,
            };
            let pool = self.nodes.pool(&addr, readonly)?;
            let mut seen = None;
            let result = pool.run(retry, |con| {
                if asking {
                    redis::cmd("ASKING").query::<()>(con)?;
                }
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
            redirected = seen.is_some();
            match seen {
                Some(Redirect::Moved { slot, addr }) => {
                    // The first MOVED is news; a second in one call means
                    // the nodes still contradict each other about the slot
                    // (a claim spreading by gossip): wait for them to agree
                    // instead of spending the attempts in a microsecond.
                    moves += 1;
                    if moves > 1 {
                        std::thread::sleep(backoff(attempt));
                    }
                    self.moved(slot, &addr);
                }
                Some(Redirect::Ask { addr }) if asked < MAX_ASKING => {
                    asked += 1;
                    ask = Some(addr);
                }
                Some(Redirect::Ask { .. }) => std::thread::sleep(backoff(attempt)),
                Some(Redirect::TryAgain) => std::thread::sleep(backoff(attempt)),
                Some(Redirect::Demoted) => {
                    // Nothing ran: the node is not (or no longer) serving.
                    if !self.refresh(false) {
                        std::thread::sleep(backoff(attempt));
                    }
                }
                None if readonly && node_failed(&err) => use_replica = false,
                None => {
                    if !node_failed(&err) {
                        return Err(err);
                    }
                    self.refresh(false);
                    let moved = self.owner(slot).as_deref() != Some(addr.as_str());
                    let safe = retry == Retry::Idempotent || not_sent(&err);
                    if !(moved && safe) {
                        return Err(err);
                    }
                }
            }
            last_error = Some(err);
        }
        let last = last_error.map_or_else(|| "no attempt".to_owned(), |e| e.to_string());
        if redirected {
            // MOVED/ASK are error replies, but the caller should degrade
            // as for any unavailability, not see a data error.
            return Err(Error::connection(
                ConnectionKind::Unavailable(UnavailableCode::TryAgain),
                format!(
                    "cluster: slot {} still moving after {MAX_ATTEMPTS} attempts: {last}",
                    slot.map_or_else(|| "-".to_owned(), |s| s.to_string())
                ),
            ));
        }
        Err(Error::connection(
            ConnectionKind::Io,
            format!("cluster: gave up after {MAX_ATTEMPTS} attempts: {last}"),
        ))
    }

    /// Reads the slot map now when this process has none yet (a batch
    /// groups its commands by master before sending).
    pub(crate) fn ensure_map(&self) {
        if self.map.read().ranges.is_empty() {
            self.refresh(true);
        }
    }

    /// The master of `slot` (None: any master), or one of its replicas.
    fn node_for(&self, slot: Option<u16>, replica: bool) -> Result<(String, bool)> {
        self.ensure_map();
        if replica && self.last_refresh.age() > REPLICA_VIEW_MAX_AGE {
            self.refresh(false);
        }
        let mut map = self.map();
        let Some(slot) = slot else {
            // Keyless commands: the first master whose breaker is closed.
            let masters = map.masters();
            let open = |addr: &String| {
                self.nodes
                    .existing(addr, false)
                    .is_some_and(|p| p.breaker_is_open())
            };
            return masters
                .iter()
                .find(|a| !open(a))
                .or(masters.first())
                .map(|a| (a.clone(), false))
                .ok_or_else(|| self.no_map_error());
        };
        if map.range_of(slot).is_none() {
            // A map read while the cluster was forming, or a slot an
            // operator just assigned: look again before refusing.
            self.refresh(false);
            map = self.map();
        }
        let range = map.range_of(slot).ok_or_else(|| {
            if map.ranges.is_empty() {
                self.no_map_error()
            } else {
                Error::connection(
                    ConnectionKind::Unavailable(UnavailableCode::ClusterDown),
                    format!("cluster: slot {slot} is not served by any node"),
                )
            }
        })?;
        if replica && !range.replicas.is_empty() {
            let i = self.next_replica.fetch_add(1, Ordering::Relaxed) % range.replicas.len();
            return Ok((range.replicas[i].clone(), true));
        }
        Ok((range.master.clone(), false))
    }

    fn owner(&self, slot: Option<u16>) -> Option<String> {
        let slot = slot?;
        self.map().range_of(slot).map(|r| r.master.clone())
    }

    fn no_map_error(&self) -> Error {
        Error::connection(
            ConnectionKind::Refused,
            format!(
                "no node of the cluster ({}) answered CLUSTER NODES",
                self.seeds.join(", ")
            ),
        )
    }

    /// A MOVED reply: the slot lives at `addr` now. The rest of its range
    /// usually moved with it, so the whole map is refreshed too, asking
    /// `addr` first (a lagging node could still describe the old layout).
    fn moved(&self, slot: u16, addr: &str) {
        {
            let mut map = self.map.write();
            let mut next = (**map).clone();
            next.moved(slot, addr);
            *map = Arc::new(next);
        }
        self.refresh_asking(true, Some(addr));
    }

    /// Asks a known node for the slot map; true when the map changed.
    /// Without `force`, at most once per [`REFRESH_EVERY`].
    pub(crate) fn refresh(&self, force: bool) -> bool {
        self.refresh_asking(force, None)
    }

    fn refresh_asking(&self, force: bool, first: Option<&str>) -> bool {
        if !self.last_refresh.start(force) {
            return false;
        }
        self.nodes.count_refresh();
        let old = self.map();
        let mut candidates = old.masters();
        candidates.extend(old.replicas());
        for seed in &self.seeds {
            if !candidates.contains(seed) {
                candidates.push(seed.clone());
            }
        }
        // Nodes known to be down go last: their breakers fail them fast.
        let down = |addr: &String| {
            self.nodes
                .existing(addr, false)
                .is_some_and(|p| p.breaker_is_open())
        };
        candidates.sort_by_key(down);
        if let Some(first) = first {
            candidates.retain(|c| c != first);
            candidates.insert(0, first.to_owned());
        }
        for addr in candidates {
            let Ok(pool) = self.nodes.pool(&addr, false) else {
                continue;
            };
            let Some(next) = ask_slots(&pool, &addr) else {
                continue;
            };
            if next == *old {
                return false;
            }
            self.nodes.count_failovers(old.failovers_to(&next));
            *self.map.write() = Arc::new(next);
            return true;
        }
        false
    }

    /// Every master's pool, for commands that must reach them all.
    pub(crate) fn master_pools(&self) -> Result<Vec<(String, Arc<Pool>)>> {
        if self.map.read().ranges.is_empty() {
            self.refresh(true);
        }
        let masters = self.map().masters();
        if masters.is_empty() {
            return Err(self.no_map_error());
        }
        masters
            .into_iter()
            .map(|addr| Ok((addr.clone(), self.nodes.pool(&addr, false)?)))
            .collect()
    }
}

fn ask_slots(pool: &Pool, addr: &str) -> Option<SlotMap> {
    let reply = pool
        .run(Retry::Idempotent, |con| {
            redis::cmd("CLUSTER").arg("NODES").query::<String>(con)
        })
        .ok()?;
    let host = split_addr(addr).map_or("", |(h, _)| h);
    SlotMap::parse_nodes(&reply, host)
}

/// Waits between attempts while the cluster settles: 10, 20, 40… ms.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(10 << attempt.min(5))
}
