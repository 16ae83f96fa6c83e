//! redis-persona: persona content cache, slot locks, OTP and rate limiting on
//! Redis, as a PHP extension.
//!
//! Process model: PHP (FPM, CLI) loads the module and runs module startup
//! (MINIT) once, then PHP-FPM forks its workers. MINIT therefore only
//! registers classes, INI settings and the logger: nothing network-related is
//! created there. Connections are made lazily per process by
//! `persona_core::pool`, which also notices forks.
//!
//! Each PHP class family lives in its own file; the Redis logic is in the
//! `persona-core` crate so it can be tested without PHP.

#![cfg_attr(windows, feature(abi_vectorcall))]

mod args;
mod build_array;
mod cache;
mod client;
mod errors;
mod info;
mod ini;
mod invalidator;
mod logging;
mod otp;
mod page;
mod policy;
mod ratelimit;
mod slot;

use ext_php_rs::prelude::*;

/// MINIT: INI entries, logger, exception classes. Never panics, never connects.
extern "C" fn startup(_type: i32, module_number: i32) -> i32 {
    let outcome = std::panic::catch_unwind(|| {
        ini::register(module_number);
        logging::install();
        errors::register_classes()
    });
    match outcome {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            log::error!("redis-persona: cannot register exception classes: {e}");
            -1
        }
        Err(_) => -1,
    }
}

/// RSHUTDOWN: write the request's cache counters (one pipeline, only if
/// anything was counted), then log records queued by non-PHP threads. Render
/// markers of `remember()` are dropped: a fatal error in a render skips their
/// destructors.
extern "C" fn request_shutdown(_type: i32, _module_number: i32) -> i32 {
    let _ = std::panic::catch_unwind(persona_core::cache::forget_renders);
    let _ = std::panic::catch_unwind(persona_core::counters::flush_all);
    let _ = std::panic::catch_unwind(logging::drain);
    0
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("redis_persona")
        .version(env!("CARGO_PKG_VERSION"))
        .startup_function(startup)
        .request_shutdown_function(request_shutdown)
        .info_function(info::module_info)
        .class::<client::Client>()
        .class::<cache::PersonaCache>()
        .class::<invalidator::Invalidator>()
        .class::<page::PageCache>()
        .class::<slot::SlotLock>()
        .class::<otp::Otp>()
        .class::<ratelimit::RateLimiter>()
        .class::<policy::Policy>()
}
