//! Which Redis topology a client talks to, as configured: one server, a
//! Redis Cluster reached through seed nodes, or the master (and replicas)
//! of a service watched by Sentinel. Parsed from the `cluster`, `sentinel`,
//! `service` and `read_from_replicas` options and their INI defaults
//! (`redis_persona.cluster`, `.sentinel`, `.sentinel_service`).
//!
//! Precedence: an explicit `url` argument means one server; then the
//! options; then the INI cluster, then the INI sentinel list; then the INI
//! url. With Sentinel the `url` (argument or INI), when given, is the
//! template of the data nodes: its scheme (TLS), credentials and database
//! apply to the master and replicas, its host and port are replaced by what
//! Sentinel reports. The sentinels' own credentials are in their URLs.

use crate::error::{printable, Error, Result};
use crate::options::OptionValue;
use crate::redis_url::parse_url;

/// At most this many seed or sentinel URLs.
pub const MAX_NODES: usize = 64;
const MAX_SERVICE_BYTES: usize = 128;

#[derive(Debug, Clone)]
pub enum TopologyConfig {
    Single,
    Cluster {
        /// Seed nodes, in the order given; the first one's scheme and
        /// credentials apply to every node discovered.
        seeds: Vec<redis::ConnectionInfo>,
        display: Vec<String>,
    },
    Sentinel {
        sentinels: Vec<redis::ConnectionInfo>,
        display: Vec<String>,
        service: String,
    },
}

impl TopologyConfig {
    pub fn mode(&self) -> &'static str {
        match self {
            TopologyConfig::Single => "single",
            TopologyConfig::Cluster { .. } => "cluster",
            TopologyConfig::Sentinel { .. } => "sentinel",
        }
    }

    /// What makes two topologies the same for the process-wide tables.
    pub fn key(&self) -> String {
        let addrs = |infos: &[redis::ConnectionInfo]| {
            infos
                .iter()
                .map(|i| {
                    let r = i.redis_settings();
                    format!(
                        "{:?}|{}|{}",
                        i.addr(),
                        r.username().unwrap_or(""),
                        r.password().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            TopologyConfig::Single => String::new(),
            TopologyConfig::Cluster { seeds, .. } => format!("cluster[{}]", addrs(seeds)),
            TopologyConfig::Sentinel {
                sentinels, service, ..
            } => format!("sentinel[{}]{service}", addrs(sentinels)),
        }
    }
}

/// The topology options of one `Client::__construct` call.
#[derive(Debug, Default)]
pub struct TopologyOptions {
    pub cluster: Vec<String>,
    pub sentinel: Vec<String>,
    pub service: Option<String>,
    pub read_from_replicas: bool,
}

impl TopologyOptions {
    /// Takes one option; false when `name` is not a topology option.
    pub fn take(&mut self, name: &str, arg: &str, value: &OptionValue) -> Result<bool> {
        match name {
            "cluster" => self.cluster = url_list(arg, value)?,
            "sentinel" => self.sentinel = url_list(arg, value)?,
            "service" => self.service = service_option(arg, value)?,
            "read_from_replicas" => {
                self.read_from_replicas = match value {
                    OptionValue::Null => false,
                    OptionValue::Bool(b) => *b,
                    OptionValue::Int(n @ (0 | 1)) => *n == 1,
                    other => {
                        return Err(Error::invalid(
                            arg,
                            format!("must be a bool, {} given", other.type_name()),
                        ))
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The INI side: comma-separated lists and the service name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopologyDefaults {
    pub cluster: String,
    pub sentinel: String,
    pub sentinel_service: String,
}

/// Decides the topology. `explicit_url` says whether the caller passed a URL.
pub fn resolve(
    explicit_url: bool,
    options: &TopologyOptions,
    defaults: &TopologyDefaults,
) -> Result<TopologyConfig> {
    if !options.cluster.is_empty() && !options.sentinel.is_empty() {
        return Err(Error::invalid(
            "options['cluster']",
            "give either options['cluster'] or options['sentinel'], not both",
        ));
    }
    if !options.cluster.is_empty() {
        if explicit_url {
            return Err(Error::invalid(
                "url",
                "give either a url (one server) or options['cluster'] (its seed nodes), not both",
            ));
        }
        return cluster("options['cluster']", &options.cluster);
    }
    let service = || -> Result<String> {
        match &options.service {
            Some(s) => Ok(s.clone()),
            None if !defaults.sentinel_service.is_empty() => {
                validate_service("redis_persona.sentinel_service", &defaults.sentinel_service)?;
                Ok(defaults.sentinel_service.clone())
            }
            None => Err(Error::invalid(
                "options['service']",
                "is required with sentinels: the name of the master they watch \
                 (redis_persona.sentinel_service in php.ini)",
            )),
        }
    };
    if !options.sentinel.is_empty() {
        return sentinel("options['sentinel']", &options.sentinel, service()?);
    }
    if explicit_url {
        return Ok(TopologyConfig::Single);
    }
    if !defaults.cluster.trim().is_empty() {
        return cluster("redis_persona.cluster", &split_list(&defaults.cluster));
    }
    if !defaults.sentinel.trim().is_empty() {
        return sentinel(
            "redis_persona.sentinel",
            &split_list(&defaults.sentinel),
            service()?,
        );
    }
    Ok(TopologyConfig::Single)
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn cluster(arg: &str, urls: &[String]) -> Result<TopologyConfig> {
    let (seeds, display) = node_urls(arg, urls, false)?;
    Ok(TopologyConfig::Cluster { seeds, display })
}

fn sentinel(arg: &str, urls: &[String], service: String) -> Result<TopologyConfig> {
    let (sentinels, display) = node_urls(arg, urls, true)?;
    Ok(TopologyConfig::Sentinel {
        sentinels,
        display,
        service,
    })
}

fn node_urls(
    arg: &str,
    urls: &[String],
    sentinel: bool,
) -> Result<(Vec<redis::ConnectionInfo>, Vec<String>)> {
    if urls.len() > MAX_NODES {
        return Err(Error::invalid(
            arg,
            format!("has {} URLs, the limit is {MAX_NODES}", urls.len()),
        ));
    }
    let mut infos = Vec::with_capacity(urls.len());
    let mut display = Vec::with_capacity(urls.len());
    for (i, url) in urls.iter().enumerate() {
        let (info, shown) = parse_url(url)
            .map_err(|e| Error::invalid(format!("{arg}[{i}]"), strip_arg(&e.to_string())))?;
        if matches!(info.addr(), redis::ConnectionAddr::Unix(_)) {
            return Err(Error::invalid(
                format!("{arg}[{i}]"),
                "must be a redis:// or rediss:// URL with a host and port \
                 (cluster nodes and sentinels are reached over TCP)",
            ));
        }
        if info.redis_settings().db() != 0 {
            let why = if sentinel {
                "a sentinel has no databases; give the database in the url argument"
            } else {
                "Redis Cluster only has database 0"
            };
            return Err(Error::invalid(format!("{arg}[{i}]"), why));
        }
        infos.push(info);
        display.push(shown);
    }
    Ok((infos, display))
}

/// `parse_url` names its argument `url`; here the element is named instead.
fn strip_arg(message: &str) -> String {
    message.strip_prefix("url: ").unwrap_or(message).to_owned()
}

fn url_list(arg: &str, value: &OptionValue) -> Result<Vec<String>> {
    let items = match value {
        OptionValue::Null => return Ok(Vec::new()),
        OptionValue::List(items) => items,
        OptionValue::Str(bytes) if bytes.is_empty() => return Ok(Vec::new()),
        OptionValue::Str(bytes) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::invalid(arg, "must be valid UTF-8"))?;
            return Ok(split_list(text));
        }
        other => {
            return Err(Error::invalid(
                arg,
                format!("must be a list of URLs, {} given", other.type_name()),
            ))
        }
    };
    if items.len() > MAX_NODES {
        return Err(Error::invalid(
            arg,
            format!("has {} URLs, the limit is {MAX_NODES}", items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            OptionValue::Str(bytes) => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| Error::invalid(format!("{arg}[{i}]"), "must be valid UTF-8")),
            other => Err(Error::invalid(
                format!("{arg}[{i}]"),
                format!("must be a URL string, {} given", other.type_name()),
            )),
        })
        .collect()
}

fn service_option(arg: &str, value: &OptionValue) -> Result<Option<String>> {
    match value {
        OptionValue::Null => Ok(None),
        OptionValue::Str(bytes) if bytes.is_empty() => Ok(None),
        OptionValue::Str(bytes) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| Error::invalid(arg, "must be valid UTF-8"))?;
            validate_service(arg, text)?;
            Ok(Some(text.to_owned()))
        }
        other => Err(Error::invalid(
            arg,
            format!("must be a string, {} given", other.type_name()),
        )),
    }
}

/// A master name goes into `SENTINEL` commands as one argument, so only its
/// length and printability matter; restricting it keeps messages readable.
fn validate_service(arg: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_SERVICE_BYTES {
        return Err(Error::invalid(
            arg,
            format!("must be 1 to {MAX_SERVICE_BYTES} bytes long"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(Error::invalid(
            arg,
            format!(
                "may only contain letters, digits, '_', '-' and '.', found '{}'",
                printable(bad.to_string().as_bytes())
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(list: &[&str]) -> OptionValue {
        OptionValue::List(
            list.iter()
                .map(|s| OptionValue::Str(s.as_bytes().to_vec()))
                .collect(),
        )
    }

    fn options(pairs: &[(&str, OptionValue)]) -> Result<TopologyOptions> {
        let mut o = TopologyOptions::default();
        for (name, value) in pairs {
            assert!(o.take(name, &format!("options['{name}']"), value)?);
        }
        Ok(o)
    }

    #[test]
    fn cluster_seeds_parse_and_exclude_a_url() {
        let o = options(&[("cluster", strs(&["redis://a:7000", "rediss://u:p@b:7001"]))]).unwrap();
        let t = resolve(false, &o, &TopologyDefaults::default()).unwrap();
        assert_eq!(t.mode(), "cluster");
        let TopologyConfig::Cluster { display, .. } = &t else {
            panic!("not a cluster")
        };
        assert_eq!(display[1], "rediss://u:***@b:7001");
        let e = resolve(true, &o, &TopologyDefaults::default()).unwrap_err();
        assert!(e.to_string().starts_with("url: give either"), "{e}");
    }

    #[test]
    fn bad_seeds_name_their_element() {
        for (value, want) in [
            (
                strs(&["redis://a:1", "http://x"]),
                "options['cluster'][1]: ",
            ),
            (
                strs(&["redis://a:1/2"]),
                "options['cluster'][0]: Redis Cluster only has database 0",
            ),
            (
                strs(&["unix:///tmp/s"]),
                "options['cluster'][0]: must be a redis://",
            ),
            (
                OptionValue::List(vec![OptionValue::Int(3)]),
                "options['cluster'][0]: must be a URL string",
            ),
            (OptionValue::Int(3), "options['cluster']: must be a list"),
        ] {
            let e = options(&[("cluster", value)])
                .and_then(|o| resolve(false, &o, &TopologyDefaults::default()))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{e}");
        }
        let many = strs(&vec!["redis://a:1"; MAX_NODES + 1]);
        assert!(options(&[("cluster", many)]).is_err());
    }

    #[test]
    fn sentinel_needs_a_service() {
        let o = options(&[("sentinel", strs(&["redis://s:26379"]))]).unwrap();
        let e = resolve(false, &o, &TopologyDefaults::default()).unwrap_err();
        assert!(
            e.to_string().starts_with("options['service']: is required"),
            "{e}"
        );
        let o = options(&[
            ("sentinel", strs(&["redis://:pw@s:26379"])),
            ("service", OptionValue::Str(b"mymaster".to_vec())),
        ])
        .unwrap();
        let t = resolve(true, &o, &TopologyDefaults::default()).unwrap();
        assert_eq!(t.mode(), "sentinel", "a url is the data nodes' template");
        let bad = options(&[("service", OptionValue::Str(b"a b".to_vec()))]);
        assert!(bad.is_err());
    }

    #[test]
    fn ini_lists_are_defaults_below_an_explicit_url() {
        let ini = TopologyDefaults {
            cluster: " redis://a:7000 , redis://b:7001,".into(),
            ..Default::default()
        };
        let none = TopologyOptions::default();
        assert_eq!(resolve(false, &none, &ini).unwrap().mode(), "cluster");
        assert_eq!(resolve(true, &none, &ini).unwrap().mode(), "single");
        let ini = TopologyDefaults {
            sentinel: "redis://s:26379".into(),
            sentinel_service: "svc".into(),
            ..Default::default()
        };
        assert_eq!(resolve(false, &none, &ini).unwrap().mode(), "sentinel");
        let both = options(&[
            ("cluster", strs(&["redis://a:1"])),
            ("sentinel", strs(&["redis://s:2"])),
        ])
        .unwrap();
        assert!(resolve(false, &both, &ini).is_err());
    }
}
