//! `RedisPersona\SlotLock`: the PHP face of `persona_core::SlotLock`.
//!
//! Parameters are named in camelCase because ext-php-rs takes PHP parameter
//! names (used by named arguments and Reflection) from the Rust identifiers.
#![allow(non_snake_case)]

use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use persona_core::keys;
use persona_core::slot::{self, Holder};
use persona_core::{Date, Resource, SlotRef};

use crate::args::{Bytes, Int, Options};
use crate::build_array::{Arr, List};
use crate::client::Client;
use crate::errors::OrThrow;

/// Booking slot locks with fencing tokens.
#[php_class]
#[php(name = "RedisPersona\\SlotLock", flags = ClassFlags::Final)]
pub struct SlotLock {
    inner: persona_core::SlotLock,
}

fn slot(date: &Bytes, time: &Bytes, resource: &Bytes) -> PhpResult<SlotRef> {
    SlotRef::parse(date.as_slice(), time.as_slice(), resource.as_slice()).or_throw()
}

fn holder_array(h: &Holder, with_time: bool) -> ZBox<ZendHashTable> {
    let mut arr = Arr::new();
    if with_time {
        arr = arr.set("time", h.time.clone());
    }
    arr.set("owner", h.owner.clone())
        .set("fence", h.fence as i64)
        .set("expires_at", h.expires_at_ms as f64 / 1000.0)
        .set("remaining_ms", h.remaining_ms as i64)
        .build()
}

#[php_impl]
impl SlotLock {
    /// Creates slot locks on top of a client. No I/O.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(client: &Client, options: Options) -> PhpResult<Self> {
        let inner = persona_core::SlotLock::from_options(client.core().clone(), &options.0);
        Ok(SlotLock {
            inner: inner.or_throw()?,
        })
    }

    /// Takes the slot if it is free: `['token', 'fence', 'expires_at']`, or
    /// null when someone else holds it. The fence is at least `$minFence`.
    #[php(defaults(minFence = 0i64))]
    pub fn acquire(
        &self,
        date: Bytes,
        time: Bytes,
        resource: Bytes,
        owner: Bytes,
        ttl: Option<Int>,
        minFence: Int,
    ) -> PhpResult<Option<ZBox<ZendHashTable>>> {
        let slot = slot(&date, &time, &resource)?;
        let owner =
            keys::validate_text("owner", owner.as_slice(), slot::MAX_OWNER_BYTES).or_throw()?;
        let ttl = match ttl {
            Some(t) => slot::validate_ttl("ttl", t.0).or_throw()?,
            None => self.inner.default_ttl_secs(),
        };
        let min_fence = slot::validate_min_fence("minFence", minFence.0).or_throw()?;
        let acquired = self
            .inner
            .acquire(&slot, owner, ttl, min_fence)
            .or_throw()?;
        Ok(acquired.map(|a| {
            Arr::new()
                .set("token", a.token)
                .set("fence", a.fence as i64)
                .set("expires_at", a.expires_at_ms as f64 / 1000.0)
                .build()
        }))
    }

    /// Releases the slot if `$token` still holds it.
    pub fn release(
        &self,
        date: Bytes,
        time: Bytes,
        resource: Bytes,
        token: Bytes,
    ) -> PhpResult<bool> {
        let slot = slot(&date, &time, &resource)?;
        let token = slot::validate_token("token", token.as_slice()).or_throw()?;
        self.inner.release(&slot, &token).or_throw()
    }

    /// Extends the slot to `$ttl` seconds from now if `$token` still holds it.
    pub fn extend(
        &self,
        date: Bytes,
        time: Bytes,
        resource: Bytes,
        token: Bytes,
        ttl: Int,
    ) -> PhpResult<bool> {
        let slot = slot(&date, &time, &resource)?;
        let token = slot::validate_token("token", token.as_slice()).or_throw()?;
        let ttl = slot::validate_ttl("ttl", ttl.0).or_throw()?;
        Ok(self.inner.extend(&slot, &token, ttl).or_throw()?.is_some())
    }

    /// The current holder: `['owner', 'fence', 'expires_at', 'remaining_ms']`
    /// or null.
    pub fn holder(
        &self,
        date: Bytes,
        time: Bytes,
        resource: Bytes,
    ) -> PhpResult<Option<ZBox<ZendHashTable>>> {
        let slot = slot(&date, &time, &resource)?;
        let holder = self.inner.holder(&slot).or_throw()?;
        Ok(holder.map(|h| holder_array(&h, false)))
    }

    /// Every held time of the day for the resource, sorted by time.
    pub fn locked(&self, date: Bytes, resource: Bytes) -> PhpResult<ZBox<ZendHashTable>> {
        let date = Date::parse("date", date.as_slice()).or_throw()?;
        let resource = Resource::parse("resource", resource.as_slice()).or_throw()?;
        let held = self.inner.locked(&date, &resource).or_throw()?;
        Ok(held
            .iter()
            .map(|h| holder_array(h, true))
            .collect::<List>()
            .build())
    }
}
