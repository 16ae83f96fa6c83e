//! The Redis side of redis-persona, free of PHP so it can be tested as plain
//! Rust against a real server. The extension crate wraps these types in PHP
//! classes and maps [`Error`] onto PHP exceptions.

pub mod booking;
pub mod cache;
pub mod clock;
pub mod connection;
pub mod error;
pub mod ids;
pub mod keys;
pub mod kv;
pub mod options;
pub mod page;
pub mod policy;
pub mod scripting;
pub mod token;

// The modules' paths from before the feature folders, kept for callers.
pub use booking::{otp, ratelimit, slot};
pub use cache::{counters, entry, invalidate};
pub use connection::topology;
pub(crate) use connection::{batch, cluster, nodes, sentinel};
pub use connection::{
    breaker, client, config, health, pool, process, redis_url, registry, route, shared, stall,
    topology_config, watchdog,
};

pub use cache::{CacheConfig, PersonaCache, Served};
pub use client::Client;
pub use config::{ClientConfig, Defaults, OptionValue};
pub use error::{ConnectionKind, Error, Result};
pub use ids::{Date, Identity, Key, Name, Persona, PostId, Resource, SlotRef, Tag, Time};
pub use invalidate::{Invalidation, Invalidator};
pub use otp::{Otp, OtpConfig};
pub use page::{PageCache, PageConfig, PageUrl};
pub use pool::Retry;
pub use ratelimit::RateLimiter;
pub use slot::SlotLock;
