//! `PageCache`'s options: defaults and bounds from the policy module.

use std::time::Duration;

use crate::error::Result;
use crate::options::{int_option, option_argument, unknown_option, OptionValue};
use crate::policy::keys::MAX_TTL_SECS;
use crate::policy::page::{
    DEFAULT_MAX_BYTES, DEFAULT_STALE_TTL_SECS, DEFAULT_TTL_SECS, LEASE_MS, MAX_MAX_BYTES, WAIT_MS,
};

pub const OPTION_NAMES: &[&str] = &["ttl", "stale_ttl", "max_bytes", "lease_ms", "wait_ms"];

#[derive(Debug, Clone, PartialEq)]
pub struct PageConfig {
    /// Seconds a stored page is fresh.
    pub ttl_secs: u64,
    /// Seconds after that it is still served stale while one process
    /// re-renders it.
    pub stale_ttl_secs: u64,
    /// Largest body (before compression) that is stored.
    pub max_bytes: usize,
    /// Lifetime of the single-flight render lease.
    pub lease: Duration,
    /// How long a miss waits for another process's render.
    pub wait: Duration,
}

impl Default for PageConfig {
    fn default() -> Self {
        PageConfig {
            ttl_secs: DEFAULT_TTL_SECS,
            stale_ttl_secs: DEFAULT_STALE_TTL_SECS,
            max_bytes: DEFAULT_MAX_BYTES as usize,
            lease: Duration::from_millis(LEASE_MS.0),
            wait: Duration::from_millis(WAIT_MS.0),
        }
    }
}

impl PageConfig {
    /// Builds the configuration from `PageCache`'s options array; errors
    /// name the option (`options['ttl']`).
    pub fn build(options: &[(String, OptionValue)]) -> Result<PageConfig> {
        let mut c = PageConfig::default();
        let max_ttl = MAX_TTL_SECS as u64;
        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "ttl" => c.ttl_secs = int_option(&arg, value, 1, max_ttl, c.ttl_secs)?,
                "stale_ttl" => {
                    c.stale_ttl_secs = int_option(&arg, value, 1, max_ttl, c.stale_ttl_secs)?
                }
                "max_bytes" => {
                    c.max_bytes =
                        int_option(&arg, value, 1, MAX_MAX_BYTES, c.max_bytes as u64)? as usize
                }
                "lease_ms" => {
                    let ms = int_option(&arg, value, LEASE_MS.1, LEASE_MS.2, LEASE_MS.0)?;
                    c.lease = Duration::from_millis(ms);
                }
                "wait_ms" => {
                    let ms = int_option(&arg, value, WAIT_MS.1, WAIT_MS.2, WAIT_MS.0)?;
                    c.wait = Duration::from_millis(ms);
                }
                _ => return Err(unknown_option(arg, OPTION_NAMES)),
            }
        }
        Ok(c)
    }

    /// A page lives its fresh TTL plus its stale window, capped at the
    /// longest TTL any key may have.
    pub fn life_secs(&self, ttl_secs: u64) -> u64 {
        (ttl_secs + self.stale_ttl_secs).min(MAX_TTL_SECS as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_by_name() {
        let c = PageConfig::build(&[
            ("ttl".into(), OptionValue::Int(60)),
            ("wait_ms".into(), OptionValue::Str(b"250".to_vec())),
        ])
        .unwrap();
        assert_eq!(c.ttl_secs, 60);
        assert_eq!(c.wait, Duration::from_millis(250));
        assert_eq!(c.lease, Duration::from_millis(LEASE_MS.0));
        for (name, value) in [
            ("ttl", OptionValue::Int(-1)),
            ("lease_ms", OptionValue::Int(5)),
            ("max_bytes", OptionValue::Str(b"big".to_vec())),
            ("bogus", OptionValue::Int(1)),
        ] {
            let err = PageConfig::build(&[(name.into(), value)]).unwrap_err();
            assert!(
                err.to_string().contains(&format!("options['{name}']")),
                "{err}"
            );
        }
    }
}
