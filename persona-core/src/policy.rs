//! One policy: every default and limit of the extension, in one place.
//!
//! The WordPress plugin has a database fallback for when Redis is down; it
//! must apply exactly the same rules (an OTP issued by the fallback has the
//! same digits and attempt limit, a slot hold has the same maximum TTL, a
//! persona slug valid in one mode is valid in the other). So the numbers live
//! here, the rest of the core re-exports them under their old paths
//! (`cache::DEFAULT_TTL_SECS`, `slot::MAX_TTL_SECS`, …), and [`defaults`]
//! describes all of them as nested data that the extension hands to PHP as
//! `RedisPersona\Policy::defaults()`.
//!
//! Options a caller may set are described as `{default, min, max}`; fixed
//! limits as plain numbers; character rules as PCRE patterns that match
//! exactly what the validators in `keys.rs` accept.

/// The persona content cache (`PersonaCache`).
pub mod cache {
    pub const DEFAULT_TTL_SECS: u64 = 7 * 24 * 3600;
    pub const DEFAULT_STALE_TTL_SECS: u64 = 24 * 3600;
    pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;
    pub const MAX_MAX_BYTES: u64 = 64 * 1024 * 1024;
    pub const DEFAULT_COMPRESS_MIN_BYTES: u64 = 4096;
    pub const DEFAULT_BETA: f64 = 1.0;
    pub const MAX_BETA: f64 = 100.0;
    pub const DEFAULT_LOCK_TTL_MS: u64 = 5_000;
    pub const MIN_LOCK_TTL_MS: u64 = 100;
    pub const MAX_LOCK_TTL_MS: u64 = 300_000;
    /// A waiter waits this much longer than the render lock lives, so it can
    /// take over from a winner that died.
    pub const LOCK_WAIT_EXTRA_MS: u64 = 1_000;
    pub const MAX_LOCK_WAIT_MS: u64 = 300_000;
    /// At most this many variants in one `warm`.
    pub const MAX_WARM_VARIANTS: usize = 256;
}

/// The full-page tier (`PageCache`).
pub mod page {
    pub const DEFAULT_TTL_SECS: u64 = 3600;
    pub const DEFAULT_STALE_TTL_SECS: u64 = 86_400;
    pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
    pub const MAX_MAX_BYTES: u64 = 64 * 1024 * 1024;
    /// The single-flight render lease: `(default, min, max)` in ms.
    pub const LEASE_MS: (u64, u64, u64) = (30_000, 100, 300_000);
    /// How long a miss waits for another process's render: `(default, min, max)` ms.
    pub const WAIT_MS: (u64, u64, u64) = (2_000, 1, 60_000);
    /// A render whose fence is older than this is never stored: the
    /// invalidation stamps that could refuse it are kept only this long (plus
    /// a margin), so an older fence could no longer be checked.
    pub const MAX_RENDER_AGE_SECS: u64 = 600;
    /// Invalidation stamps outlive the longest render by this margin.
    pub const STAMP_MARGIN_SECS: u64 = 60;
    /// Normalised absolute URLs are at most this long.
    pub const MAX_URL_BYTES: usize = 2048;
    /// At most this many response headers, each name and value bounded.
    pub const MAX_HEADERS: usize = 64;
    pub const MAX_HEADER_NAME_BYTES: usize = 128;
    pub const MAX_HEADER_VALUE_BYTES: usize = 8192;
    /// At most this many post ids and tags recorded per page.
    pub const MAX_POSTS: usize = 1000;
    pub const MAX_TAGS: usize = 200;
    /// `pagesFor` returns at most this many pages.
    pub const MAX_PAGES_LISTED: usize = 10_000;
    /// Status codes a page may be stored with.
    pub const MIN_STATUS: i64 = 100;
    pub const MAX_STATUS: i64 = 599;
}

/// Booking slot locks (`SlotLock`).
pub mod slot {
    pub const DEFAULT_TTL_SECS: u64 = 600;
    pub const MAX_TTL_SECS: u64 = 86_400;
    pub const MAX_OWNER_BYTES: usize = 200;
    /// The largest `min_fence` a caller may pass. Fences travel through Lua
    /// (doubles) and cjson (14 significant digits), so they stay below 10^14;
    /// a millisecond clock reaches this bound in the year 4822.
    pub const MAX_MIN_FENCE: u64 = 90_000_000_000_000;
}

/// One-time codes (`Otp`): `(default, min, max)` of each option.
pub mod otp {
    pub const TTL_SECS: (u64, u64, u64) = (600, 10, 86_400);
    pub const DIGITS: (u64, u64, u64) = (6, 4, 10);
    pub const MAX_ATTEMPTS: (u64, u64, u64) = (5, 1, 100);
    pub const ISSUE_LIMIT: (u64, u64, u64) = (3, 1, 1000);
    pub const ISSUE_WINDOW_SECS: (u64, u64, u64) = (600, 1, 86_400);
    pub const MIN_SECRET_BYTES: usize = 16;
    pub const MAX_IDENTITY_BYTES: usize = 320;
    pub const MAX_CODE_BYTES: usize = 64;
}

/// Rate limits (`RateLimiter`, GCRA).
pub mod rate_limit {
    pub const MAX_LIMIT: i64 = 100_000;
    pub const MAX_WINDOW_SECS: i64 = 30 * 86_400;
    pub const MAX_KEY_BYTES: usize = 1024;
}

/// Persona slugs.
pub mod persona {
    pub const MAX_BYTES: usize = 64;
    pub const PATTERN: &str = "/^[a-z0-9_-]{1,64}$/";
}

/// Key text and lifetimes shared by every feature.
pub mod keys {
    /// Every key expires within 30 days.
    pub const MAX_TTL_SECS: i64 = 30 * 24 * 3600;
    /// Application keys (`Client::get/set/delete`).
    pub const MAX_KEY_BYTES: usize = 200;
    pub const KEY_PATTERN: &str = "#^[A-Za-z0-9_.:/-]{1,200}$#";
    pub const MAX_TAG_BYTES: usize = 128;
    pub const TAG_PATTERN: &str = "/^[A-Za-z0-9_.-]{1,128}$/";
    /// Resource and limiter names.
    pub const MAX_NAME_BYTES: usize = 64;
    pub const NAME_PATTERN: &str = "/^[A-Za-z0-9_.-]{1,64}$/";
}

/// A policy value as handed to PHP.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Text(&'static str),
    Map(Vec<(&'static str, Value)>),
}

fn int(n: impl TryInto<i64>) -> Value {
    Value::Int(n.try_into().unwrap_or(i64::MAX))
}

/// `{default, min, max}` of an integer option.
fn option((default, min, max): (u64, u64, u64)) -> Value {
    Value::Map(vec![
        ("default", int(default)),
        ("min", int(min)),
        ("max", int(max)),
    ])
}

/// `{min, max}` of an argument without a default.
fn bounds(min: i64, max: i64) -> Value {
    Value::Map(vec![("min", int(min)), ("max", int(max))])
}

/// Every default and limit, nested by feature (see the README's "Policy").
pub fn defaults() -> Value {
    use Value::{Float, Map, Text};
    let max_ttl = keys::MAX_TTL_SECS as u64;
    Map(vec![
        (
            "cache",
            Map(vec![
                ("ttl", option((cache::DEFAULT_TTL_SECS, 1, max_ttl))),
                (
                    "stale_ttl",
                    option((cache::DEFAULT_STALE_TTL_SECS, 1, max_ttl)),
                ),
                (
                    "max_bytes",
                    option((cache::DEFAULT_MAX_BYTES, 1, cache::MAX_MAX_BYTES)),
                ),
                (
                    "compress_min_bytes",
                    option((cache::DEFAULT_COMPRESS_MIN_BYTES, 1, cache::MAX_MAX_BYTES)),
                ),
                (
                    "beta",
                    Map(vec![
                        ("default", Float(cache::DEFAULT_BETA)),
                        ("min", Float(0.0)),
                        ("max", Float(cache::MAX_BETA)),
                    ]),
                ),
                (
                    "lock_ttl_ms",
                    option((
                        cache::DEFAULT_LOCK_TTL_MS,
                        cache::MIN_LOCK_TTL_MS,
                        cache::MAX_LOCK_TTL_MS,
                    )),
                ),
                (
                    "lock_wait_ms",
                    option((
                        cache::DEFAULT_LOCK_TTL_MS + cache::LOCK_WAIT_EXTRA_MS,
                        1,
                        cache::MAX_LOCK_WAIT_MS,
                    )),
                ),
                ("max_warm_variants", int(cache::MAX_WARM_VARIANTS)),
            ]),
        ),
        (
            "page",
            Map(vec![
                ("ttl", option((page::DEFAULT_TTL_SECS, 1, max_ttl))),
                (
                    "stale_ttl",
                    option((page::DEFAULT_STALE_TTL_SECS, 1, max_ttl)),
                ),
                (
                    "max_bytes",
                    option((page::DEFAULT_MAX_BYTES, 1, page::MAX_MAX_BYTES)),
                ),
                ("lease_ms", option(page::LEASE_MS)),
                ("wait_ms", option(page::WAIT_MS)),
                ("max_render_age", int(page::MAX_RENDER_AGE_SECS)),
                ("max_url_bytes", int(page::MAX_URL_BYTES)),
                ("max_headers", int(page::MAX_HEADERS)),
                ("max_posts", int(page::MAX_POSTS)),
                ("max_tags", int(page::MAX_TAGS)),
                ("max_pages_listed", int(page::MAX_PAGES_LISTED)),
            ]),
        ),
        (
            "slot",
            Map(vec![
                (
                    "ttl",
                    option((slot::DEFAULT_TTL_SECS, 1, slot::MAX_TTL_SECS)),
                ),
                ("max_owner_bytes", int(slot::MAX_OWNER_BYTES)),
                ("min_fence", option((0, 0, slot::MAX_MIN_FENCE))),
            ]),
        ),
        (
            "otp",
            Map(vec![
                ("ttl", option(otp::TTL_SECS)),
                ("digits", option(otp::DIGITS)),
                ("max_attempts", option(otp::MAX_ATTEMPTS)),
                ("issue_limit", option(otp::ISSUE_LIMIT)),
                ("issue_window", option(otp::ISSUE_WINDOW_SECS)),
                ("min_secret_bytes", int(otp::MIN_SECRET_BYTES)),
                ("max_identity_bytes", int(otp::MAX_IDENTITY_BYTES)),
                ("max_code_bytes", int(otp::MAX_CODE_BYTES)),
            ]),
        ),
        (
            "rate_limit",
            Map(vec![
                ("algorithm", Text("gcra")),
                ("limit", bounds(1, rate_limit::MAX_LIMIT)),
                ("window", bounds(1, rate_limit::MAX_WINDOW_SECS)),
                ("max_key_bytes", int(rate_limit::MAX_KEY_BYTES)),
            ]),
        ),
        (
            "persona",
            Map(vec![
                ("max_bytes", int(persona::MAX_BYTES)),
                ("pattern", Text(persona::PATTERN)),
            ]),
        ),
        (
            "keys",
            Map(vec![
                ("max_ttl", int(keys::MAX_TTL_SECS)),
                ("max_key_bytes", int(keys::MAX_KEY_BYTES)),
                ("key_pattern", Text(keys::KEY_PATTERN)),
                ("max_tag_bytes", int(keys::MAX_TAG_BYTES)),
                ("tag_pattern", Text(keys::TAG_PATTERN)),
                ("max_name_bytes", int(keys::MAX_NAME_BYTES)),
                ("name_pattern", Text(keys::NAME_PATTERN)),
            ]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptionValue;

    fn opt(name: &str, n: i64) -> Vec<(String, OptionValue)> {
        vec![(name.to_owned(), OptionValue::Int(n))]
    }

    /// The validators that still spell their limits themselves (keys.rs,
    /// the cache's option parser) agree with the policy, value by value.
    #[test]
    fn validators_enforce_exactly_the_policy() {
        let long = |n: usize| vec![b'a'; n];
        assert!(crate::keys::validate_persona("p", &long(persona::MAX_BYTES)).is_ok());
        assert!(crate::keys::validate_persona("p", &long(persona::MAX_BYTES + 1)).is_err());
        assert!(crate::keys::validate_persona("p", b"Upper").is_err());
        assert!(crate::keys::validate_tag("t", &long(keys::MAX_TAG_BYTES)).is_ok());
        assert!(crate::keys::validate_tag("t", &long(keys::MAX_TAG_BYTES + 1)).is_err());
        assert!(crate::keys::validate_name("n", &long(keys::MAX_NAME_BYTES)).is_ok());
        assert!(crate::keys::validate_name("n", &long(keys::MAX_NAME_BYTES + 1)).is_err());
        assert!(crate::keys::validate_key("k", &long(keys::MAX_KEY_BYTES)).is_ok());
        assert!(crate::keys::validate_key("k", &long(keys::MAX_KEY_BYTES + 1)).is_err());

        use crate::cache::CacheConfig;
        let ms = |n: u64| n as i64;
        assert!(CacheConfig::build(&opt("lock_ttl_ms", ms(cache::MIN_LOCK_TTL_MS))).is_ok());
        assert!(CacheConfig::build(&opt("lock_ttl_ms", ms(cache::MIN_LOCK_TTL_MS - 1))).is_err());
        assert!(CacheConfig::build(&opt("lock_ttl_ms", ms(cache::MAX_LOCK_TTL_MS))).is_ok());
        assert!(CacheConfig::build(&opt("lock_ttl_ms", ms(cache::MAX_LOCK_TTL_MS + 1))).is_err());
        assert!(CacheConfig::build(&opt("lock_wait_ms", ms(cache::MAX_LOCK_WAIT_MS))).is_ok());
        assert!(CacheConfig::build(&opt("lock_wait_ms", ms(cache::MAX_LOCK_WAIT_MS + 1))).is_err());
        assert!(CacheConfig::build(&opt("ttl", keys::MAX_TTL_SECS + 1)).is_err());
        let beta = vec![("beta".to_owned(), OptionValue::Float(cache::MAX_BETA + 0.5))];
        assert!(CacheConfig::build(&beta).is_err());
        let c = CacheConfig::default();
        assert_eq!(
            c.lock_wait.as_millis() as u64,
            cache::DEFAULT_LOCK_TTL_MS + cache::LOCK_WAIT_EXTRA_MS
        );
        assert_eq!(c.ttl_secs, cache::DEFAULT_TTL_SECS);
    }

    #[test]
    fn defaults_are_nested_by_feature() {
        let Value::Map(sections) = defaults() else {
            panic!("not a map")
        };
        let names: Vec<&str> = sections.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "cache",
                "page",
                "slot",
                "otp",
                "rate_limit",
                "persona",
                "keys"
            ]
        );
        let otp = &sections[3].1;
        let Value::Map(otp) = otp else { panic!() };
        assert_eq!(otp[1].0, "digits");
        assert_eq!(otp[1].1, option((6, 4, 10)));
    }
}
