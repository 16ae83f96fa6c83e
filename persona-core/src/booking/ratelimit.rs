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
//! ≈ 2.6e14 ticks), never absolute times. The stored value is
//! `"<tat whole ms>:<remainder ticks>"`.
//!
//! The caller's key (an IP, an email) is hashed (SHA-256) into the key name,
//! so no personal data appears in Redis and any string is a valid key.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::Script;
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::Name;
use crate::keys::Keys;
use crate::options::int_in_range;
use crate::pool::Retry;
use crate::token;

pub use crate::policy::rate_limit::{MAX_KEY_BYTES, MAX_LIMIT, MAX_WINDOW_SECS};

/// Lua: `gcra(key, limit, window_ms)` returns {allowed 0/1, remaining,
/// retry after in whole seconds}, storing the new tat only when allowed.
/// Shared with the OTP issue limit. A value of another type or format (an
/// older version's sorted set or counter) counts as no state.
pub const GCRA_LUA: &str = r"
local function gcra(key, limit, window)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local capacity = window * limit
  local lead = 0
  local stored = redis.pcall('GET', key)
  if type(stored) == 'string' then
    local ms, frac = string.match(stored, '^(%d+):(%d+)$')
    if ms then lead = (tonumber(ms) - now) * limit + tonumber(frac) end
  end
  if lead < 0 then lead = 0 end
  if lead > capacity then lead = capacity end
  local new_lead = lead + window
  if new_lead > capacity then
    return {0, 0, math.ceil((new_lead - capacity) / (limit * 1000))}
  end
  local whole = math.floor(new_lead / limit)
  local value = string.format('%d:%d', now + whole, new_lead - whole * limit)
  redis.call('SET', key, value, 'PX', math.ceil(new_lead / limit))
  return {1, math.floor((capacity - new_lead) / window), 0}
end
";

/// KEYS: state. ARGV: limit, window ms.
/// Returns {allowed 0/1, remaining, retry after s}.
static ATTEMPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{GCRA_LUA}return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"
    ))
});

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
        let mut call = ATTEMPT.prepare_invoke();
        call.key(&key)
            .arg(self.limit)
            .arg(self.window.as_millis() as u64);
        let (allowed, remaining, wait_secs): (i64, u64, u64) =
            self.client.run(Retry::Once, |con| call.invoke(con))?;
        Ok(Decision {
            allowed: allowed == 1,
            remaining,
            retry_after: Duration::from_secs(wait_secs),
        })
    }

    /// Forgets the state of `key`: it gets a full burst again.
    pub fn reset(&self, key: &[u8]) -> Result<()> {
        let key = self.key(key)?;
        self.client.run(Retry::Idempotent, |con| {
            redis::cmd("DEL").arg(&key).query::<()>(con)
        })
    }
}
