//! Client configuration: a Redis URL plus options, layered over process-wide
//! defaults (the extension's INI settings) and built-in defaults.
//!
//! Precedence, highest first: the `options` array, the INI setting, the
//! built-in default. As in phpredis, `0` (or an empty string) means "use the
//! default", so an INI file can leave a setting at `0` and mean it.

use std::time::Duration;

pub use crate::error::printable;
use crate::error::{Error, Result};
pub use crate::options::OptionValue;
use crate::options::{int_option, option_argument, unknown_option};
pub use crate::redis_url::{mask_password, parse_url};
use crate::topology_config::{resolve, TopologyOptions};
pub use crate::topology_config::{TopologyConfig, TopologyDefaults};

pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
pub const DEFAULT_PREFIX: &str = "rp";
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 200;
pub const DEFAULT_READ_TIMEOUT_MS: u64 = 500;
pub const DEFAULT_POOL_SIZE: u64 = 2;
pub const DEFAULT_RETRY_INTERVAL_MS: u64 = 1000;
/// The half-open breaker's probe (connect + PING) gets this long, at most
/// the read timeout: a server that is still frozen costs the probing request
/// 100 ms, not a full read timeout.
pub const DEFAULT_PROBE_TIMEOUT_MS: u64 = 100;

const MAX_PREFIX_BYTES: usize = 64;

/// Names of the options `Client::__construct` understands, for error messages.
pub const OPTION_NAMES: &[&str] = &[
    "connect_timeout_ms",
    "read_timeout_ms",
    "pool_size",
    "prefix",
    "retry_interval_ms",
    "probe_timeout_ms",
    "cluster",
    "sentinel",
    "service",
    "read_from_replicas",
];

/// Process-wide defaults, as the INI settings hold them (`0`/empty = built-in).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    pub url: String,
    pub prefix: String,
    pub connect_timeout_ms: i64,
    pub read_timeout_ms: i64,
    pub pool_size: i64,
    pub retry_interval_ms: i64,
    pub topology: TopologyDefaults,
}

/// Everything needed to reach Redis the way the caller asked: one server, or
/// a cluster or Sentinel setup (`topology`) whose nodes are reached with
/// `info`'s scheme and credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The URL with any password replaced by `***`, safe to print.
    pub display_url: String,
    pub info: redis::ConnectionInfo,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Writes get the read timeout: a server that stops reading is as hung as
    /// one that stops answering.
    pub write_timeout: Duration,
    pub pool_size: usize,
    pub prefix: String,
    pub retry_interval: Duration,
    /// Connect + PING budget of the breaker's probe (at most the read timeout).
    pub probe_timeout: Duration,
    pub topology: TopologyConfig,
    /// Cache reads may go to replicas (cluster and Sentinel only).
    pub read_from_replicas: bool,
    /// Send `READONLY` on connect: this is a cluster replica serving reads.
    pub readonly_replica: bool,
}

impl ClientConfig {
    /// Builds a configuration from an optional URL, the caller's options and
    /// the process defaults, validating everything. Errors name the argument.
    pub fn build(
        url: Option<&[u8]>,
        options: &[(String, OptionValue)],
        defaults: &Defaults,
    ) -> Result<ClientConfig> {
        let explicit_url = url.is_some_and(|bytes| !bytes.is_empty());
        let url_text = match url {
            Some(bytes) if !bytes.is_empty() => utf8("url", bytes)?.to_owned(),
            _ if !defaults.url.is_empty() => defaults.url.clone(),
            _ => DEFAULT_URL.to_owned(),
        };
        let (mut info, mut display_url) = parse_url(&url_text)?;
        let mut topology_options = TopologyOptions::default();

        let mut connect_ms = or_default(defaults.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
        let mut read_ms = or_default(defaults.read_timeout_ms, DEFAULT_READ_TIMEOUT_MS);
        let mut pool_size = or_default(defaults.pool_size, DEFAULT_POOL_SIZE);
        let mut retry_ms = or_default(defaults.retry_interval_ms, DEFAULT_RETRY_INTERVAL_MS);
        let mut probe_ms = DEFAULT_PROBE_TIMEOUT_MS;
        let mut prefix = if defaults.prefix.is_empty() {
            DEFAULT_PREFIX.to_owned()
        } else {
            defaults.prefix.clone()
        };

        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "connect_timeout_ms" => {
                    connect_ms = int_option(&arg, value, 1, 60_000, connect_ms)?;
                }
                "read_timeout_ms" => read_ms = int_option(&arg, value, 1, 600_000, read_ms)?,
                "pool_size" => pool_size = int_option(&arg, value, 1, 64, pool_size)?,
                "retry_interval_ms" => {
                    retry_ms = int_option(&arg, value, 1, 3_600_000, retry_ms)?;
                }
                "probe_timeout_ms" => probe_ms = int_option(&arg, value, 1, 60_000, probe_ms)?,
                "prefix" => match value {
                    OptionValue::Str(bytes) if bytes.is_empty() => {}
                    OptionValue::Null => {}
                    OptionValue::Str(bytes) => prefix = utf8(&arg, bytes)?.to_owned(),
                    other => {
                        return Err(Error::invalid(
                            arg,
                            format!("must be a string, {} given", other.type_name()),
                        ))
                    }
                },
                _ if topology_options.take(name, &arg, value)? => {}
                _ => return Err(unknown_option(arg, OPTION_NAMES)),
            }
        }
        validate_prefix(&prefix).map_err(|msg| {
            let arg = if options.iter().any(|(n, _)| n == "prefix") {
                "options['prefix']"
            } else {
                "redis_persona.prefix"
            };
            Error::invalid(arg, msg)
        })?;

        let topology = resolve(explicit_url, &topology_options, &defaults.topology)?;
        match &topology {
            TopologyConfig::Single => {}
            TopologyConfig::Cluster { seeds, display } => {
                // The first seed is the template of every node.
                info = seeds[0].clone();
                display_url = format!("cluster {}", display.join(", "));
            }
            TopologyConfig::Sentinel {
                display, service, ..
            } => {
                display_url = format!("sentinel service '{service}' via {}", display.join(", "));
            }
        }
        if topology_options.read_from_replicas && matches!(topology, TopologyConfig::Single) {
            return Err(Error::invalid(
                "options['read_from_replicas']",
                "needs a cluster or sentinels: one server has no replicas to read from",
            ));
        }

        let read_timeout = Duration::from_millis(read_ms);
        Ok(ClientConfig {
            display_url,
            info,
            connect_timeout: Duration::from_millis(connect_ms),
            read_timeout,
            write_timeout: read_timeout,
            pool_size: pool_size as usize,
            prefix,
            retry_interval: Duration::from_millis(retry_ms),
            probe_timeout: Duration::from_millis(probe_ms.min(read_ms)),
            topology,
            read_from_replicas: topology_options.read_from_replicas,
            readonly_replica: false,
        })
    }

    /// The configuration of one node of this topology at `host:port`: the
    /// same scheme, credentials, timeouts and pool size, its own pool and
    /// circuit breaker (both key on the address).
    pub fn node(&self, host: &str, port: u16, readonly_replica: bool) -> ClientConfig {
        let (addr, scheme) = match self.info.addr() {
            redis::ConnectionAddr::TcpTls {
                insecure,
                tls_params,
                ..
            } => (
                redis::ConnectionAddr::TcpTls {
                    host: host.to_owned(),
                    port,
                    insecure: *insecure,
                    tls_params: tls_params.clone(),
                },
                "rediss",
            ),
            _ => (redis::ConnectionAddr::Tcp(host.to_owned(), port), "redis"),
        };
        let mut node = self.clone();
        node.info = self.info.clone().set_addr(addr);
        node.display_url = format!("{scheme}://{host}:{port}");
        node.topology = TopologyConfig::Single;
        node.read_from_replicas = false;
        node.readonly_replica = readonly_replica;
        node
    }

    /// What makes two configurations share circuit-breaker state across
    /// processes: the same server reached with the same credentials (a
    /// `NOAUTH` for one user says nothing about another).
    pub fn breaker_key(&self) -> String {
        let redis = self.info.redis_settings();
        format!(
            "{:?}|{}|{}",
            self.info.addr(),
            redis.username().unwrap_or(""),
            redis.password().unwrap_or(""),
        )
    }

    /// What makes two configurations share a connection pool: the same server,
    /// credentials, database and socket behaviour. The prefix does not count.
    pub fn pool_key(&self) -> String {
        let redis = self.info.redis_settings();
        format!(
            "{:?}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.info.addr(),
            redis.db(),
            redis.username().unwrap_or(""),
            redis.password().unwrap_or(""),
            self.connect_timeout.as_millis(),
            self.read_timeout.as_millis(),
            self.pool_size,
            self.retry_interval.as_millis(),
            self.probe_timeout.as_millis(),
            self.topology.key(),
            self.read_from_replicas,
            self.readonly_replica,
        )
    }
}

fn or_default(ini: i64, builtin: u64) -> u64 {
    if ini > 0 {
        ini as u64
    } else {
        builtin
    }
}

fn utf8<'a>(arg: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| Error::invalid(arg, "must be valid UTF-8"))
}

/// A prefix becomes the first segment of every key, so it must not carry
/// glob characters, hash-tag braces, whitespace or control bytes. Nor the key
/// separator `:`: with it, client `shop` read client `shop:kv`'s value `secret`
/// as `get('kv:secret')` (both are the key `shop:kv:kv:secret`), and `purge()`
/// on `shop` (SCAN `shop:*`) deleted every key of `shop:eu`. Without `:` in
/// any prefix, prefix P owns exactly the keys that start with `P:`, and no two
/// prefixes share a key.
pub fn validate_prefix(prefix: &str) -> std::result::Result<(), String> {
    if prefix.is_empty() || prefix.len() > MAX_PREFIX_BYTES {
        return Err(format!(
            "must be 1 to {MAX_PREFIX_BYTES} bytes long, got {}",
            prefix.len()
        ));
    }
    if prefix.contains(':') {
        return Err(
            "may not contain ':', which separates the prefix from the rest of \
             the key (one prefix's keys would overlap another's); use '-' or '.' \
             instead, as in 'shop-eu' for 'shop:eu'"
                .to_owned(),
        );
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "may only contain letters, digits, '_', '-' and '.', found {bad:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str, options: &[(&str, OptionValue)]) -> Result<ClientConfig> {
        let options: Vec<(String, OptionValue)> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        ClientConfig::build(Some(url.as_bytes()), &options, &Defaults::default())
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let c = ClientConfig::build(None, &[], &Defaults::default()).unwrap();
        assert_eq!(c.connect_timeout, Duration::from_millis(200));
        assert_eq!(c.read_timeout, Duration::from_millis(500));
        assert_eq!(c.pool_size, 2);
        assert_eq!(c.prefix, "rp");
        assert_eq!(c.retry_interval, Duration::from_millis(1000));
        assert_eq!(c.probe_timeout, Duration::from_millis(100));
        assert_eq!(c.display_url, "redis://127.0.0.1:6379");
        let short = build("redis://h", &[("read_timeout_ms", OptionValue::Int(40))]).unwrap();
        assert_eq!(short.probe_timeout, Duration::from_millis(40));
    }

    #[test]
    fn ini_defaults_sit_between_options_and_builtins() {
        let ini = Defaults {
            url: "redis://10.0.0.1:7000/3".into(),
            prefix: "site".into(),
            connect_timeout_ms: 50,
            read_timeout_ms: 0,
            pool_size: 1,
            retry_interval_ms: 0,
            ..Default::default()
        };
        let c =
            ClientConfig::build(None, &[("pool_size".into(), OptionValue::Int(4))], &ini).unwrap();
        assert_eq!(c.connect_timeout, Duration::from_millis(50));
        assert_eq!(c.read_timeout, Duration::from_millis(500));
        assert_eq!(c.pool_size, 4);
        assert_eq!(c.prefix, "site");
        assert_eq!(c.info.redis_settings().db(), 3);
    }

    #[test]
    fn url_forms_parse() {
        let c = build("redis://user:secret@localhost:6380/2", &[]).unwrap();
        assert_eq!(c.info.redis_settings().username(), Some("user"));
        assert_eq!(c.info.redis_settings().password(), Some("secret"));
        assert_eq!(c.info.redis_settings().db(), 2);
        assert_eq!(c.display_url, "redis://user:***@localhost:6380/2");
        assert!(build("unix:///run/redis.sock", &[]).is_ok());
        assert!(matches!(
            build("rediss://example.org:6380", &[]).unwrap().info.addr(),
            redis::ConnectionAddr::TcpTls { .. }
        ));
    }

    #[test]
    fn bad_urls_name_the_argument_and_hide_the_password() {
        for bad in [
            "",
            "http://x",
            "redis://",
            "redis://h:1/abc",
            "unix://",
            "not a url",
        ] {
            let e = build(bad, &[]);
            if bad.is_empty() {
                assert!(e.is_ok(), "empty url means the default");
                continue;
            }
            let e = e.unwrap_err();
            assert!(e.to_string().starts_with("url: "), "{bad}: {e}");
        }
        let e = build("ftp://u:hunter2@h", &[]).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(build(&format!("redis://{}", "a".repeat(5000)), &[]).is_err());
    }

    #[test]
    fn options_are_validated_with_their_name() {
        let e = build("redis://h", &[("pool_size", OptionValue::Int(1000))]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "options['pool_size']: must be between 1 and 64 (0 for the default), got 1000"
        );
        let e = build("redis://h", &[("nope", OptionValue::Int(1))]).unwrap_err();
        assert!(e.to_string().contains("unknown option"));
        let e = build(
            "redis://h",
            &[("read_timeout_ms", OptionValue::Str(b"abc".to_vec()))],
        )
        .unwrap_err();
        assert!(e.to_string().contains("must be an integer"));
        let c = build(
            "redis://h",
            &[("read_timeout_ms", OptionValue::Str(b" 250 ".to_vec()))],
        )
        .unwrap();
        assert_eq!(c.read_timeout, Duration::from_millis(250));
        let e = build(
            "redis://h",
            &[("prefix", OptionValue::Str(b"a*b".to_vec()))],
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("options['prefix']"));
        let e = build("redis://h", &[("prefix", OptionValue::Int(3))]).unwrap_err();
        assert!(e.to_string().contains("int given"));
    }

    #[test]
    fn prefixes_cannot_smuggle_key_syntax() {
        for bad in [
            "",
            "a b",
            "a*",
            "a?",
            "a[b]",
            "{tag}",
            "a\0b",
            "shop:eu",
            ":",
            "shop:",
            &"x".repeat(65),
        ] {
            assert!(validate_prefix(bad).is_err(), "{bad:?}");
        }
        for good in ["rp", "site-1.blog.2", "RP_x", "shop-eu"] {
            assert!(validate_prefix(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn pool_key_ignores_prefix_but_not_server() {
        let a = build(
            "redis://h:1",
            &[("prefix", OptionValue::Str(b"a".to_vec()))],
        )
        .unwrap();
        let b = build(
            "redis://h:1",
            &[("prefix", OptionValue::Str(b"b".to_vec()))],
        )
        .unwrap();
        let c = build("redis://h:2", &[]).unwrap();
        assert_eq!(a.pool_key(), b.pool_key());
        assert_ne!(a.pool_key(), c.pool_key());
    }
}
