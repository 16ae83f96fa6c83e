//! The `phpinfo()` / `php --ri redis_persona` section: version, settings
//! (password masked), the state of this process's pools and breakers, and
//! the cluster and Sentinel topologies it has used.

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_header, info_table_row, info_table_start};

use crate::ini;

/// The page tier's defaults and limits, from the policy module.
fn page_defaults() -> Vec<(&'static str, String)> {
    use persona_core::policy::page::*;
    vec![
        ("page ttl", format!("{DEFAULT_TTL_SECS} s fresh")),
        (
            "page stale_ttl",
            format!("{DEFAULT_STALE_TTL_SECS} s served stale while one process re-renders"),
        ),
        (
            "page max_bytes",
            format!("{DEFAULT_MAX_BYTES} bytes (at most {MAX_MAX_BYTES}), stored gzip-compressed"),
        ),
        (
            "page lease_ms",
            format!("{} ms single-flight render lease", LEASE_MS.0),
        ),
        (
            "page wait_ms",
            format!("{} ms a miss waits for another render", WAIT_MS.0),
        ),
        (
            "page max render age",
            format!("{MAX_RENDER_AGE_SECS} s (older renders are never stored)"),
        ),
        (
            "page keys",
            "{prefix}:pg:{bNN}:... (URL hashed, 16 buckets)".to_owned(),
        ),
    ]
}

pub extern "C" fn module_info(_module: *mut ModuleEntry) {
    // A panic must not unwind into the engine from this callback.
    let _ = std::panic::catch_unwind(print);
}

fn print() {
    info_table_start!();
    info_table_row!("redis_persona support", "enabled");
    info_table_row!("version", env!("CARGO_PKG_VERSION"));
    info_table_row!(
        "classes",
        "Client, PersonaCache, PageCache, Invalidator, SlotLock, Otp, RateLimiter, Policy, Exception, \
         ConnectionException, UnavailableException, RateLimitedException"
    );
    info_table_end!();

    info_table_start!();
    info_table_header!("setting", "value");
    for (name, value) in ini::shown() {
        info_table_row!(name, value.as_str());
    }
    info_table_end!();

    info_table_start!();
    info_table_header!("page tier (PageCache)", "default");
    for (name, value) in page_defaults() {
        info_table_row!(name, value.as_str());
    }
    info_table_end!();

    info_table_start!();
    info_table_header!("pool (this process)", "state");
    let pools = persona_core::pool::all_pools();
    if pools.is_empty() {
        info_table_row!("pools", "none yet (created on first use)");
    }
    for pool in pools {
        let stats = pool.stats();
        let breaker = pool.breaker_snapshot();
        let url = pool.config().display_url.clone();
        let pool_text = format!(
            "pid {}, {} idle, {} in use, max {}, {} created, {} discarded",
            stats.pid,
            stats.idle,
            stats.in_use,
            stats.max_size,
            stats.connections_created,
            stats.connections_discarded
        );
        let breaker_text = format!(
            "{}, retry in {} ms, interval {} ms, {} consecutive failures here, \
             opened {} times here and {} times by all processes",
            breaker.state.as_str(),
            breaker.retry_in.as_millis(),
            breaker.retry_interval.as_millis(),
            breaker.consecutive_failures,
            breaker.times_opened,
            breaker.times_opened_shared
        );
        let shared_text = match &breaker.shared_path {
            Some(path) => format!("shared by this user's processes through {path}"),
            None => "this process only (no shared file)".to_owned(),
        };
        info_table_row!(url.as_str(), pool_text.as_str());
        info_table_row!("circuit breaker", breaker_text.as_str());
        info_table_row!("breaker state", shared_text.as_str());
    }
    info_table_end!();

    for report in persona_core::topology::all_reports() {
        info_table_start!();
        let title = match &report.service {
            Some(service) => format!("{} '{service}' (this process)", report.mode),
            None => format!("{} (this process)", report.mode),
        };
        info_table_header!(title.as_str(), "state");
        for node in &report.nodes {
            let text = format!(
                "{}{}, breaker {}, {} connections",
                node.role,
                if node.slots.is_empty() {
                    String::new()
                } else {
                    format!(" of slots {}", node.slots)
                },
                node.breaker,
                node.connections
            );
            info_table_row!(node.address.as_str(), text.as_str());
        }
        let summary = format!(
            "{} failovers followed, {} topology refreshes, replica reads {}",
            report.failovers,
            report.refreshes,
            if report.read_from_replicas {
                "on"
            } else {
                "off"
            }
        );
        info_table_row!(
            "answered last",
            report.answered_by.as_deref().unwrap_or("-")
        );
        info_table_row!("seen", summary.as_str());
        info_table_end!();
    }
}
