//! `RedisPersona\RateLimiter`: the PHP face of `persona_core::RateLimiter`.
//!
//! Parameters are named in camelCase because ext-php-rs takes PHP parameter
//! names (used by named arguments and Reflection) from the Rust identifiers.
#![allow(non_snake_case)]

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use crate::args::{Bytes, Int};
use crate::build_array::Arr;
use crate::client::Client;
use crate::errors::OrThrow;
use persona_core::Name;

/// GCRA rate limiting (a burst, then a steady rate), one atomic round trip per attempt.
#[php_class]
#[php(name = "RedisPersona\\RateLimiter", flags = ClassFlags::Final)]
pub struct RateLimiter {
    inner: persona_core::RateLimiter,
}

#[php_impl]
impl RateLimiter {
    /// At most `$limit` attempts per key in any `$windowSeconds`. No I/O.
    pub fn __construct(
        client: &Client,
        name: Bytes,
        limit: Int,
        windowSeconds: Int,
    ) -> PhpResult<Self> {
        let name = Name::parse("name", name.as_slice()).or_throw()?;
        let inner =
            persona_core::RateLimiter::new(client.core().clone(), &name, limit.0, windowSeconds.0)
                .or_throw()?;
        Ok(RateLimiter { inner })
    }

    /// Records an attempt if allowed: `['allowed', 'remaining', 'retry_after']`.
    pub fn attempt(&self, key: Bytes) -> PhpResult<ZBox<ZendHashTable>> {
        let d = self.inner.attempt(key.as_slice()).or_throw()?;
        Ok(Arr::new()
            .set("allowed", d.allowed)
            .set("remaining", d.remaining as i64)
            .set("retry_after", d.retry_after.as_secs_f64())
            .build())
    }

    /// Forgets every attempt of `$key`.
    pub fn reset(&self, key: Bytes) -> PhpResult<()> {
        self.inner.reset(key.as_slice()).or_throw()
    }
}
