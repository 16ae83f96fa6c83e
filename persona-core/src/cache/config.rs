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
    /// `compression => 'auto'` (the default): [`CacheConfig::for_server`]
    /// turns compression off when Redis is on this host.
    pub compression_auto: bool,
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
            compression_auto: true,
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
        let mut compression = "auto";
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
                "compression" => {
                    compression = choice_option(&arg, value, &["auto", "lz4", "none"], "auto")?
                }
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
        c.compress_min_bytes = (compression != "none").then_some(compress_min as usize);
        c.compression_auto = compression == "auto";
        // Waiting a little longer than the lock lives lets a waiter take over
        // from a winner that died.
        c.lock_wait = match lock_wait_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => c.lock_ttl + Duration::from_millis(LOCK_WAIT_EXTRA_MS),
        };
        Ok(c)
    }
}

impl CacheConfig {
    /// This configuration for a server at `addr`: with `compression =>
    /// 'auto'`, no compression when the server is on this host (loopback or
    /// a Unix socket). Measured there (benches/RESULTS.md), an LZ4 hit was
    /// 11-24 % slower than a plain one at every size from 4 KB to 256 KB:
    /// decompressing costs more than moving the bytes through the loopback.
    /// Across a network the bytes cost more than the decompression, so
    /// values of `compress_min_bytes` or more are compressed.
    pub fn for_server(mut self, addr: &redis::ConnectionAddr) -> CacheConfig {
        if self.compression_auto && is_local(addr) {
            self.compress_min_bytes = None;
        }
        self
    }
}

fn is_local(addr: &redis::ConnectionAddr) -> bool {
    use redis::ConnectionAddr;
    let host = match addr {
        ConnectionAddr::Tcp(host, _) | ConnectionAddr::TcpTls { host, .. } => host,
        ConnectionAddr::Unix(_) => return true,
        _ => return false,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis::ConnectionAddr;

    #[test]
    fn auto_compression_is_off_for_local_servers_only() {
        let auto = CacheConfig::default();
        let local = ConnectionAddr::Tcp("127.0.0.1".into(), 6379);
        let remote = ConnectionAddr::Tcp("10.0.0.5".into(), 6379);
        assert_eq!(auto.clone().for_server(&local).compress_min_bytes, None);
        assert_eq!(
            auto.clone()
                .for_server(&ConnectionAddr::Tcp("::1".into(), 6379))
                .compress_min_bytes,
            None
        );
        assert_eq!(
            auto.clone().for_server(&remote).compress_min_bytes,
            Some(DEFAULT_COMPRESS_MIN_BYTES as usize)
        );
        let lz4 = CacheConfig::build(&[("compression".into(), OptionValue::Str(b"lz4".to_vec()))])
            .unwrap();
        assert_eq!(
            lz4.for_server(&local).compress_min_bytes,
            Some(DEFAULT_COMPRESS_MIN_BYTES as usize)
        );
    }
}
