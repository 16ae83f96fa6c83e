//! Reaching Redis: configuration (URL, options, INI defaults), the per-process
//! registry of pools, the pool and its watchdog, the circuit breaker (shared
//! between the processes of a machine), stall detection, health, and the
//! `Client` every feature goes through. Features depend on this folder; it
//! depends on none of them.

pub mod breaker;
pub mod client;
pub mod config;
pub mod health;
pub mod pool;
pub mod process;
pub mod redis_url;
pub mod registry;
pub mod shared;
pub mod stall;
pub mod watchdog;
