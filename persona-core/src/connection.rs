//! Reaching Redis: configuration (URL, options, INI defaults), the per-process
//! registry of pools, the pool and its watchdog, the circuit breaker (shared
//! between the processes of a machine), stall detection, health, the
//! topologies (one server, Redis Cluster, Sentinel) with their routing, and
//! the `Client` every feature goes through. Features depend on this folder; it
//! depends on none of them.

pub(crate) mod batch;
pub mod breaker;
pub mod client;
pub(crate) mod cluster;
pub mod config;
pub mod health;
pub(crate) mod nodes;
pub mod pool;
pub mod process;
pub mod redis_url;
pub mod registry;
pub mod route;
pub(crate) mod sentinel;
pub mod shared;
pub mod stall;
pub mod topology;
pub mod topology_config;
pub mod watchdog;
