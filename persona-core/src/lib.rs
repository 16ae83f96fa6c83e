//! The Redis side of redis-persona, free of PHP so it can be tested as plain
//! Rust against a real server. The extension crate wraps these types in PHP
//! classes and maps [`Error`] onto PHP exceptions.

pub mod breaker;
pub mod client;
pub mod config;
pub mod error;
pub mod health;
pub mod keys;
pub mod kv;
pub mod pool;

pub use client::Client;
pub use config::{ClientConfig, Defaults, OptionValue};
pub use error::{ConnectionKind, Error, Result};
pub use pool::Retry;
