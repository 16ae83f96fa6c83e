//! The `phpinfo()` / `php --ri redis_persona` section: version, settings
//! (password masked) and the state of this process's pools and breakers.

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_header, info_table_row, info_table_start};

use crate::ini;

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
        "Client, PersonaCache, Invalidator, SlotLock, Otp, RateLimiter, Policy, Exception, \
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
}
