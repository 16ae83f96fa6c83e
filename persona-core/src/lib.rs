//! The Redis side of redis-persona, free of PHP so it can be tested as plain
//! Rust against a real server. The extension crate wraps these types in PHP
//! classes and maps [`Error`] onto PHP exceptions.

pub mod breaker;
pub mod cache;
pub mod client;
pub mod clock;
pub mod config;
pub mod counters;
pub mod entry;
pub mod error;
pub mod health;
pub mod ids;
pub mod invalidate;
pub mod keys;
pub mod kv;
pub mod options;
pub mod otp;
pub mod policy;
pub mod pool;
pub mod process;
pub mod ratelimit;
pub mod redis_url;
pub mod registry;
pub mod scripting;
pub mod shared;
pub mod slot;
pub mod stall;
pub mod token;
pub mod watchdog;

pub use cache::{CacheConfig, PersonaCache, Served};
pub use client::Client;
pub use config::{ClientConfig, Defaults, OptionValue};
pub use error::{ConnectionKind, Error, Result};
pub use ids::{Date, Identity, Key, Name, Persona, PostId, Resource, SlotRef, Tag, Time};
pub use invalidate::{Invalidation, Invalidator};
pub use otp::{Otp, OtpConfig};
pub use pool::Retry;
pub use ratelimit::RateLimiter;
pub use slot::SlotLock;
