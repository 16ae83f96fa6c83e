//! Rate limiting with GCRA (the generic cell rate algorithm): a burst of up
//! to `limit` attempts, then one every `window / limit`, in constant memory
//! (one short string per limited key, whatever the limit) and one atomic
//! script per attempt, so it is exact under any concurrency.
//!
//! Semantics (the WordPress fallback mirrors them exactly):
//! - T = window / limit is the emission interval; `tat` (theoretical arrival
//!   time) is stored per key; now is Redis's `TIME` in ms.
//! - tat = max(stored tat or now, now); new_tat = tat + T.
//! - Allowed iff new_tat - now <= window: then new_tat is stored with
//!   PX = ceil(new_tat - now), remaining = floor((window - (new_tat - now)) / T),
//!   retry_after = 0.
//! - Refused otherwise: nothing is stored (refusals do not count),
//!   remaining = 0, retry_after = ceil((new_tat - now - window) / 1000) s, >= 1.
//!
//! Exact integer maths: times are counted in ticks of 1/limit ms, so T is
//! exactly `window_ms` ticks. Lua numbers are doubles, exact up to 2^53; only
//! differences from now are multiplied by `limit` (at most 30 days × 100 000
//! ≈ 2.6e14 ticks), never absolute times.
//!
//! Stored form (one short string per key, whatever the limit): the key
//! expires at tat rounded up to the ms, and its value is the number of ticks
//! that rounding added (0 to limit - 1). So `PTTL` reads tat - now exactly,
//! and the function needs no `TIME` call and no parsing: `PTTL`, `GET`, `SET
//! PX` (library.rs; 3.9 µs of server time against 6.8 µs for the former
//! `"tat ms:ticks"` script with `TIME`). When T is a whole number of ms
//! (5 per hour, 10 per second) the value is always 0 and is not even read.
//! The TTL is the state: an older version's key (whose TTL was also
//! tat - now) carries over; an unreadable value counts as no remainder.
//!
//! The caller's key (an IP, an email) is hashed (SHA-256) into the key name,
//! so no personal data appears in Redis and any string is a valid key.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::library::{fcall, Function};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::Name;
use crate::keys::Keys;
use crate::options::int_in_range;
use crate::pool::Retry;
use crate::route::Route;
use crate::token;

pub use crate::policy::rate_limit::{MAX_KEY_BYTES, MAX_LIMIT, MAX_WINDOW_SECS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    pub retry_after: Duration,
}

pub struct RateLimiter {
    client: Arc<Client>,
    keys: Keys,
    name: String,
    limit: u64,
    window: Duration,
}

impl RateLimiter {
    pub fn new(
        client: Arc<Client>,
        name: &Name,
        limit: i64,
        window_secs: i64,
    ) -> Result<RateLimiter> {
        let limit = int_in_range("limit", limit, 1, MAX_LIMIT, "")?;
        let window_secs = int_in_range("windowSeconds", window_secs, 1, MAX_WINDOW_SECS, "")?;
        let keys = Keys::new(client.prefix());
        Ok(RateLimiter {
            client,
            keys,
            name: name.as_str().to_owned(),
            limit,
            window: Duration::from_secs(window_secs),
        })
    }

    fn key(&self, key: &[u8]) -> Result<String> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(Error::invalid(
                "key",
                format!("must be 1 to {MAX_KEY_BYTES} bytes long, got {}", key.len()),
            ));
        }
        let digest = Sha256::digest(key);
        Ok(self.keys.rate_limit(&self.name, &token::hex(&digest[..16])))
    }

    /// Records an attempt if the limit allows it.
    pub fn attempt(&self, key: &[u8]) -> Result<Decision> {
        let key = self.key(key)?;
        let mut call = Function::Rate.call(&[&key]);
        call.arg(self.limit).arg(self.window.as_millis() as u64);
        let verdict: i64 = self
            .client
            .run(Route::FirstKey(&call), Retry::Once, |con| fcall(con, &call))?;
        Ok(decision(verdict))
    }

    /// Forgets the state of `key`: it gets a full burst again.
    pub fn reset(&self, key: &[u8]) -> Result<()> {
        let key = self.key(key)?;
        self.client.run(Route::Key(&key), Retry::Idempotent, |con| {
            redis::cmd("DEL").arg(&key).query::<()>(con)
        })
    }
}

/// What the `gcra` Lua function returns: the remaining burst (>= 0) when
/// allowed, else -1 - seconds to wait.
pub(crate) fn decision(verdict: i64) -> Decision {
    if verdict >= 0 {
        Decision {
            allowed: true,
            remaining: verdict as u64,
            retry_after: Duration::ZERO,
        }
    } else {
        Decision {
            allowed: false,
            remaining: 0,
            retry_after: Duration::from_secs(verdict.unsigned_abs() - 1),
        }
    }
}
