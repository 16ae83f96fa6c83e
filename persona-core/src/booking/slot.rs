//! Slot locks for appointment booking: at most one holder per (date, time,
//! resource), released or extended only with the holder's token, with a
//! fencing token for the booking write and a per-day index instead of SCAN.
//!
//! Every step is one Lua function (library.rs) over keys sharing the
//! `{date:resource}` hash tag, so it is atomic and works on Redis Cluster.
//! Lock lifetimes use Redis's clock (`TIME`).
//!
//! Keys of a day and resource: the lock of each time (`…:l:HH:MM`, value
//! `"<token> <holder JSON>"`, so release and extend need not read the
//! index), the index hash (time → holder JSON, for `locked()`), and the
//! last fence of each time while it is ahead of the clock (`…:f:HH:MM`).
//! Acquire is 7 commands inside the function and release 4 (they were 9
//! and 5): on a host where PHP and Redis share a CPU each costs 1-2 µs.
//!
//! Fences are a hybrid logical clock in milliseconds, so that one sequence
//! per slot keeps increasing across Redis mode, the plugin's database
//! fallback (which issues max(last database fence + 1, its clock in ms)) and
//! a loss of Redis's data:
//!
//! ```text
//! fence = max(last fence + 1, Redis TIME in ms, caller's clock in ms, min_fence)
//! ```
//!
//! The last fence of a slot is kept only while it is ahead of Redis's clock
//! (PX = fence - now + 1, at most 30 days): once the clock has passed it,
//! the clock alone yields larger fences, so a released or expired slot
//! leaves no key behind (a counter per slot ever locked used to stay for 30
//! days). The caller's clock is the web server's, the one the fallback uses,
//! so switching modes on one web server never goes back; `min_fence` lets a
//! caller that knows a higher fence (from its database) raise the floor.
//! Not promised: fences are not dense, and after a data loss or with clocks
//! that step back, they are only larger if the holds are further apart than
//! the step (see the README's guarantees).
//!
//! Events (JSON on `{prefix}:lk:{date:resource}:events`): `acquired`,
//! `released`, `extended`, and `expired` when an expired lock is observed
//! (by `holder`, `locked` or a new `acquire`). Each is one object:
//! `{"event", "date", "resource", "time", "owner", "fence", "expires_at_ms"}`
//! (the last three absent when the holder was unknown). The functions
//! build it by concatenation from fields this file JSON-encodes once per
//! call (the "head" and the owner), never with `cjson` on the hot path.

use std::sync::Arc;

use redis::Cmd;
use serde::Deserialize;

use super::library::{fcall, json_string, Function};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{Date, Resource, SlotRef};
use crate::keys::Keys;
use crate::options::{int_option, option_argument, unknown_option, OptionValue};
use crate::pool::Retry;
use crate::route::Route;
use crate::token;

pub use crate::policy::slot::{DEFAULT_TTL_SECS, MAX_MIN_FENCE, MAX_OWNER_BYTES, MAX_TTL_SECS};

/// A successful acquire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquired {
    pub token: String,
    pub fence: u64,
    pub expires_at_ms: u64,
}

/// The current holder of a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub time: String,
    pub owner: String,
    pub fence: u64,
    pub expires_at_ms: u64,
    pub remaining_ms: u64,
}

#[derive(Deserialize)]
struct HolderJson {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    fence: f64,
    #[serde(default)]
    expires_at_ms: f64,
}

pub struct SlotLock {
    client: Arc<Client>,
    keys: Keys,
    default_ttl_secs: u64,
}

/// Validates a lock TTL in seconds (1 s to 1 day).
pub fn validate_ttl(argument: &str, ttl: i64) -> Result<u64> {
    crate::options::int_in_range(argument, ttl, 1, MAX_TTL_SECS as i64, " seconds")
}

/// A TTL the core was handed as a number: the same bounds as
/// [`validate_ttl`] (and so no overflow when it becomes milliseconds).
fn checked_ttl(ttl_secs: u64) -> Result<u64> {
    validate_ttl("ttl", i64::try_from(ttl_secs).unwrap_or(i64::MAX))
}

/// Validates a fence floor passed by a caller (0 for none).
pub fn validate_min_fence(argument: &str, min_fence: i64) -> Result<u64> {
    crate::options::int_in_range(argument, min_fence, 0, MAX_MIN_FENCE as i64, "")
}

/// Validates a token handed back by a caller: what `acquire` issues is 32
/// hex characters; anything else cannot match, but huge or binary input is
/// an error rather than a silent false.
pub fn validate_token(argument: &str, token: &[u8]) -> Result<String> {
    if token.is_empty() || token.len() > 128 || !token.iter().all(u8::is_ascii_graphic) {
        return Err(Error::invalid(
            argument,
            "must be the token returned by acquire() (32 hex characters)",
        ));
    }
    Ok(String::from_utf8_lossy(token).into_owned())
}

impl SlotLock {
    pub fn new(client: Arc<Client>, default_ttl_secs: u64) -> SlotLock {
        let keys = Keys::new(client.prefix());
        SlotLock {
            client,
            keys,
            default_ttl_secs,
        }
    }

    /// Slot locks configured from `SlotLock`'s options array (`ttl`).
    pub fn from_options(
        client: Arc<Client>,
        options: &[(String, OptionValue)],
    ) -> Result<SlotLock> {
        let mut ttl = DEFAULT_TTL_SECS;
        for (name, value) in options {
            let arg = option_argument(name);
            match name.as_str() {
                "ttl" => ttl = int_option(&arg, value, 1, MAX_TTL_SECS, DEFAULT_TTL_SECS)?,
                _ => return Err(unknown_option(arg, &["ttl"])),
            }
        }
        Ok(SlotLock::new(client, ttl))
    }

    pub fn default_ttl_secs(&self) -> u64 {
        self.default_ttl_secs
    }

    /// A call of `function` with the keys and arguments every slot function
    /// but observe starts with: KEYS lock, index (, fence); ARGV time,
    /// token, channel (see library.rs).
    fn call(&self, function: Function, slot: &SlotRef, token: &str, with_fence: bool) -> Cmd {
        let (date, resource, time) = parts(slot);
        let lock = self.keys.slot_lock(date, resource, time);
        let index = self.keys.slot_index(date, resource);
        let mut call = if with_fence {
            let fence = self.keys.slot_fence(date, resource, time);
            function.call(&[&lock, &index, &fence])
        } else {
            function.call(&[&lock, &index])
        };
        call.arg(time)
            .arg(token)
            .arg(self.keys.slot_channel(date, resource));
        call
    }

    /// Takes the slot for `ttl_secs` if nobody holds it; its fence is at
    /// least `min_fence` (validate with [`validate_min_fence`]).
    pub fn acquire(
        &self,
        slot: &SlotRef,
        owner: &str,
        ttl_secs: u64,
        min_fence: u64,
    ) -> Result<Option<Acquired>> {
        // Checked here too, not only by the PHP wrapper: no caller of the
        // core can store an unbounded owner or overflow the TTL.
        crate::keys::validate_text("owner", owner.as_bytes(), MAX_OWNER_BYTES)?;
        let ttl_secs = checked_ttl(ttl_secs)?;
        validate_min_fence("minFence", i64::try_from(min_fence).unwrap_or(i64::MAX))?;
        let token = token::random_hex(16)?;
        let mut call = self.call(Function::LockAcquire, slot, &token, true);
        call.arg(ttl_secs * 1000)
            .arg(json_string(owner))
            .arg(crate::clock::now_ms().min(MAX_MIN_FENCE))
            .arg(min_fence.min(MAX_MIN_FENCE))
            .arg(event_head(slot));
        let reply: Option<(u64, u64)> =
            self.client
                .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        Ok(reply.map(|(fence, expires_at_ms)| Acquired {
            token,
            fence,
            expires_at_ms,
        }))
    }

    /// Releases the slot if `token` still holds it.
    pub fn release(&self, slot: &SlotRef, token: &str) -> Result<bool> {
        validate_token("token", token.as_bytes())?;
        let mut call = self.call(Function::LockRelease, slot, token, false);
        call.arg(event_head(slot));
        let released: i64 = self
            .client
            .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        Ok(released == 1)
    }

    /// Extends the slot to `ttl_secs` from now if `token` still holds it;
    /// returns the new expiry in ms.
    pub fn extend(&self, slot: &SlotRef, token: &str, ttl_secs: u64) -> Result<Option<u64>> {
        validate_token("token", token.as_bytes())?;
        let ttl_secs = checked_ttl(ttl_secs)?;
        let mut call = self.call(Function::LockExtend, slot, token, false);
        call.arg(event_head(slot)).arg(ttl_secs * 1000);
        self.client
            .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))
    }

    fn observe(&self, date: &str, resource: &str, time: Option<&str>) -> Result<Vec<Holder>> {
        let index = self.keys.slot_index(date, resource);
        let mut call = Function::LockObserve.call(&[&index]);
        call.arg(self.keys.slot_lock_prefix(date, resource))
            .arg(self.keys.slot_channel(date, resource))
            .arg(day_head(date, resource));
        if let Some(time) = time {
            call.arg(time);
        }
        let flat: Vec<(String, String, u64)> =
            self.client
                .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        let mut holders: Vec<Holder> = flat
            .into_iter()
            .map(|(time, raw, remaining_ms)| {
                let parsed: HolderJson = serde_json::from_str(&raw).unwrap_or(HolderJson {
                    owner: String::new(),
                    fence: 0.0,
                    expires_at_ms: 0.0,
                });
                Holder {
                    time,
                    owner: parsed.owner,
                    fence: parsed.fence as u64,
                    expires_at_ms: parsed.expires_at_ms as u64,
                    remaining_ms,
                }
            })
            .collect();
        holders.sort_by(|a, b| a.time.cmp(&b.time));
        Ok(holders)
    }

    /// Who holds the slot now, if anyone.
    pub fn holder(&self, slot: &SlotRef) -> Result<Option<Holder>> {
        let (date, resource, time) = parts(slot);
        Ok(self.observe(date, resource, Some(time))?.pop())
    }

    /// Every held time of the day for the resource, sorted by time.
    pub fn locked(&self, date: &Date, resource: &Resource) -> Result<Vec<Holder>> {
        self.observe(date.as_str(), resource.as_str(), None)
    }
}

/// The slot's key text, in the order `Keys` takes it.
fn parts(slot: &SlotRef) -> (&str, &str, &str) {
    (
        slot.date().as_str(),
        slot.resource().as_str(),
        slot.time().as_str(),
    )
}

/// The event fields naming the day: `"date":…,"resource":…`.
fn day_head(date: &str, resource: &str) -> String {
    format!(
        "\"date\":{},\"resource\":{}",
        json_string(date),
        json_string(resource)
    )
}

/// The event fields naming the slot: `"date":…,"resource":…,"time":…`.
fn event_head(slot: &SlotRef) -> String {
    let (date, resource, time) = parts(slot);
    format!(
        "{},\"time\":{}",
        day_head(date, resource),
        json_string(time)
    )
}
