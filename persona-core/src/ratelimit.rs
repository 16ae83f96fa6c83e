//! Sliding-window rate limiting: at most `limit` allowed attempts in any
//! `window` (a log of allowed attempts in a sorted set, trimmed on every
//! call). One script per attempt, so it is exact under any concurrency.
//! Refused attempts are not recorded: a client that keeps hammering is let
//! in again as soon as its oldest allowed attempt leaves the window.
//!
//! The caller's key (an IP, an email) is hashed (SHA-256) into the key name,
//! so no personal data appears in Redis and any string is a valid key.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::Script;
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::keys::Keys;
use crate::options::int_in_range;
use crate::pool::Retry;
use crate::token;

pub const MAX_LIMIT: i64 = 100_000;
pub const MAX_WINDOW_SECS: i64 = 30 * 86_400;
pub const MAX_KEY_BYTES: usize = 1024;

/// KEYS: log. ARGV: limit, window ms, unique member.
/// Returns {allowed 0/1, remaining, retry after ms}.
static ATTEMPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - n - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return {0, 0, wait}
",
    )
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
        name: &[u8],
        limit: i64,
        window_secs: i64,
    ) -> Result<RateLimiter> {
        let name = crate::keys::validate_name("name", name)?;
        let limit = int_in_range("limit", limit, 1, MAX_LIMIT, "")?;
        let window_secs = int_in_range("windowSeconds", window_secs, 1, MAX_WINDOW_SECS, "")?;
        let keys = Keys::new(client.prefix());
        Ok(RateLimiter {
            client,
            keys,
            name: name.to_owned(),
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
        let member = token::random_hex(8)?;
        let mut call = ATTEMPT.prepare_invoke();
        call.key(&key)
            .arg(self.limit)
            .arg(self.window.as_millis() as u64)
            .arg(member);
        let (allowed, remaining, wait_ms): (i64, u64, u64) =
            self.client.run(Retry::Once, |con| call.invoke(con))?;
        Ok(Decision {
            allowed: allowed == 1,
            remaining,
            retry_after: Duration::from_millis(wait_ms),
        })
    }

    /// Forgets every attempt of `key`.
    pub fn reset(&self, key: &[u8]) -> Result<()> {
        let key = self.key(key)?;
        self.client.run(Retry::Idempotent, |con| {
            redis::cmd("DEL").arg(&key).query::<()>(con)
        })
    }
}
