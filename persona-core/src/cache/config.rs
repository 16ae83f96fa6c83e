//! `PersonaCache`'s options: defaults, bounds, and how they combine (the
//! lock wait follows the lock's lifetime unless set).

use std::time::Duration;

use super::OPTION_NAMES;
use crate::error::Result;
use crate::options::{
    choice_option, float_option, int_option, option_argument, unknown_option, OptionValue,
};
use crate::policy::cache::{
    DEFAULT_BETA, DEFAULT_COMPRESS_MIN_BYTES, DEFAULT_LOCK_TTL_MS, DEFAULT_MAX_BYTES,
    DEFAULT_STALE_TTL_SECS, DEFAULT_TTL_SECS, LOCK_WAIT_EXTRA_MS, MAX_BETA, MAX_LOCK_TTL_MS,
    MAX_LOCK_WAIT_MS, MAX_MAX_BYTES, MIN_LOCK_TTL_MS,
};
use crate::policy::keys::MAX_TTL_SECS;

#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    pub ttl_secs: u64,
    pub stale_ttl_secs: u64,
    pub max_bytes: usize,
    /// None: never compress.
    pub compress_min_bytes: Option<usize>,
    pub beta: f64,
    pub lock_ttl: Duration,
    pub lock_wait: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl_secs: DEFAULT_TTL_SECS,
            stale_ttl_secs: DEFAULT_STALE_TTL_SECS,
            max_bytes: DEFAULT_MAX_BYTES as usize,
            compress_min_bytes: Some(DEFAULT_COMPRESS_MIN_BYTES as usize),
            beta: DEFAULT_BETA,
            lock_ttl: Duration::from_millis(DEFAULT_LOCK_TTL_MS),
            lock_wait: Duration::from_millis(DEFAULT_LOCK_TTL_MS + LOCK_WAIT_EXTRA_MS),
        }
    }
}

impl CacheConfig {
    /// Builds the configuration from `PersonaCache`'s options array.
    pub fn build(options: &[(String, OptionValue)]) -> Result<CacheConfig> {
        let mut c = CacheConfig::default();
        let max_ttl = MAX_TTL_SECS as u64;
        let mut compression = "lz4";
        let mut compress_min = DEFAULT_COMPRESS_MIN_BYTES;
        let mut lock_wait_ms = None;
        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "ttl" => c.ttl_secs = int_option(&arg, value, 1, max_ttl, c.ttl_secs)?,
                "stale_ttl" => {
                    c.stale_ttl_secs = int_option(&arg, value, 1, max_ttl, c.stale_ttl_secs)?;
                }
                "max_bytes" => {
                    c.max_bytes =
                        int_option(&arg, value, 1, MAX_MAX_BYTES, c.max_bytes as u64)? as usize;
                }
                "compress_min_bytes" => {
                    compress_min = int_option(&arg, value, 1, MAX_MAX_BYTES, compress_min)?;
                }
                "compression" => compression = choice_option(&arg, value, &["lz4", "none"], "lz4")?,
                "beta" => c.beta = float_option(&arg, value, 0.0, MAX_BETA, DEFAULT_BETA)?,
                "lock_ttl_ms" => {
                    let (min, max) = (MIN_LOCK_TTL_MS, MAX_LOCK_TTL_MS);
                    let ms = int_option(&arg, value, min, max, DEFAULT_LOCK_TTL_MS)?;
                    c.lock_ttl = Duration::from_millis(ms);
                }
                "lock_wait_ms" => {
                    lock_wait_ms = Some(int_option(&arg, value, 1, MAX_LOCK_WAIT_MS, 0)?);
                }
                _ => return Err(unknown_option(arg, OPTION_NAMES)),
            }
        }
        c.compress_min_bytes = (compression == "lz4").then_some(compress_min as usize);
        // Waiting a little longer than the lock lives lets a waiter take over
        // from a winner that died.
        c.lock_wait = match lock_wait_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => c.lock_ttl + Duration::from_millis(LOCK_WAIT_EXTRA_MS),
        };
        Ok(c)
    }
}
