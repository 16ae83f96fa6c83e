//! Slot locks for appointment booking: at most one holder per (date, time,
//! resource), released or extended only with the holder's token, with a
//! fencing token for the booking write and a per-day index instead of SCAN.
//!
//! Every step is one Lua script over keys sharing the `{date:resource}` hash
//! tag, so it is atomic and works on Redis Cluster. Lock lifetimes use
//! Redis's clock (`TIME`).
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
//! (by `holder`, `locked` or a new `acquire`).

use std::sync::{Arc, LazyLock};

use redis::{Script, ScriptInvocation};
use serde::Deserialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{Date, Resource, SlotRef};
use crate::keys::Keys;
use crate::options::{int_option, option_argument, unknown_option, OptionValue};
use crate::pool::Retry;
use crate::token;

pub use crate::policy::slot::{DEFAULT_TTL_SECS, MAX_MIN_FENCE, MAX_OWNER_BYTES, MAX_TTL_SECS};

/// Shared Lua: the server time in ms, and publishing an event. Every
/// script but OBSERVE takes KEYS lock, index (, fence) and ARGV date,
/// resource, time, token, channel (, ttl ms, owner): see [`SlotLock::call`].
const PRELUDE: &str = r"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function event(channel, name, time, holder, extra)
  local e = {event = name, date = ARGV[1], resource = ARGV[2], time = time}
  if holder then e.owner = holder.owner; e.fence = holder.fence; e.expires_at_ms = holder.expires_at_ms end
  if extra then for k, v in pairs(extra) do e[k] = v end end
  redis.call('PUBLISH', channel, cjson.encode(e))
end
";

/// KEYS: lock, index, fence. ARGV: date, resource, time, token, channel,
/// ttl ms, owner, caller's clock ms, min fence. Returns {fence,
/// expires_at_ms} or false when held. Fences stay below 10^14, so `%d` and
/// cjson (14 significant digits) print them exactly.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r"
local ttl = tonumber(ARGV[6])
if not redis.call('SET', KEYS[1], ARGV[4], 'NX', 'PX', ttl) then return false end
local now = now_ms()
local previous = redis.call('HGET', KEYS[2], ARGV[3])
if previous then event(ARGV[5], 'expired', ARGV[3], cjson.decode(previous)) end
local fence = math.max(now, tonumber(ARGV[8]), tonumber(ARGV[9]))
local last = tonumber(redis.call('GET', KEYS[3]) or '')
if last and last + 1 > fence then fence = last + 1 end
redis.call('SET', KEYS[3], string.format('%d', fence), 'PX', math.min(fence - now + 1, 2592000000))
local holder = {owner = ARGV[7], fence = fence, expires_at_ms = now + ttl}
redis.call('HSET', KEYS[2], ARGV[3], cjson.encode(holder))
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
event(ARGV[5], 'acquired', ARGV[3], holder)
return {fence, now + ttl}
"
    ))
});

/// KEYS: lock, index. ARGV: date, resource, time, token, channel.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return 0 end
redis.call('DEL', KEYS[1])
local holder = redis.call('HGET', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[2], ARGV[3])
event(ARGV[5], 'released', ARGV[3], holder and cjson.decode(holder))
return 1
"
    ))
});

/// KEYS: lock, index. ARGV: date, resource, time, token, channel, ttl ms.
/// Returns the new expiry (ms) or false.
static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return false end
local ttl = tonumber(ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
local now = now_ms()
local raw = redis.call('HGET', KEYS[2], ARGV[3])
local holder = raw and cjson.decode(raw) or {}
holder.expires_at_ms = now + ttl
redis.call('HSET', KEYS[2], ARGV[3], cjson.encode(holder))
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
event(ARGV[5], 'extended', ARGV[3], holder)
return now + ttl
"
    ))
});

/// KEYS: index. ARGV: date, resource, lock key prefix, channel, and
/// optionally one time to look at (else every time in the index).
/// Drops (and announces) index entries whose lock is gone; returns
/// {time, holder JSON, remaining ms} triples of live locks.
static OBSERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{PRELUDE}{}",
        r"
local times
if ARGV[5] then times = {ARGV[5]} else times = redis.call('HKEYS', KEYS[1]) end
local live = {}
for _, time in ipairs(times) do
  local raw = redis.call('HGET', KEYS[1], time)
  if raw then
    local left = redis.call('PTTL', ARGV[3] .. time)
    if left > 0 then
      table.insert(live, time); table.insert(live, raw); table.insert(live, left)
    else
      redis.call('HDEL', KEYS[1], time)
      event(ARGV[4], 'expired', time, cjson.decode(raw))
    end
  end
end
return live
"
    ))
});

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

    /// An invocation of `script` with the keys and arguments every slot
    /// script starts with (see PRELUDE).
    fn call<'s>(&self, script: &'s Script, slot: &SlotRef, token: &str) -> ScriptInvocation<'s> {
        let (date, resource, time) = parts(slot);
        let mut call = script.prepare_invoke();
        call.key(self.keys.slot_lock(date, resource, time))
            .key(self.keys.slot_index(date, resource))
            .arg(date)
            .arg(resource)
            .arg(time)
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
        let mut call = self.call(&ACQUIRE, slot, &token);
        let (date, resource, time) = parts(slot);
        call.key(self.keys.slot_fence(date, resource, time))
            .arg(ttl_secs * 1000)
            .arg(owner)
            .arg(crate::clock::now_ms().min(MAX_MIN_FENCE))
            .arg(min_fence.min(MAX_MIN_FENCE));
        let reply: Option<(u64, u64)> = self.client.run(Retry::Once, |con| call.invoke(con))?;
        Ok(reply.map(|(fence, expires_at_ms)| Acquired {
            token,
            fence,
            expires_at_ms,
        }))
    }

    /// Releases the slot if `token` still holds it.
    pub fn release(&self, slot: &SlotRef, token: &str) -> Result<bool> {
        validate_token("token", token.as_bytes())?;
        let call = self.call(&RELEASE, slot, token);
        let released: i64 = self.client.run(Retry::Once, |con| call.invoke(con))?;
        Ok(released == 1)
    }

    /// Extends the slot to `ttl_secs` from now if `token` still holds it;
    /// returns the new expiry in ms.
    pub fn extend(&self, slot: &SlotRef, token: &str, ttl_secs: u64) -> Result<Option<u64>> {
        validate_token("token", token.as_bytes())?;
        let ttl_secs = checked_ttl(ttl_secs)?;
        let mut call = self.call(&EXTEND, slot, token);
        call.arg(ttl_secs * 1000);
        self.client.run(Retry::Once, |con| call.invoke(con))
    }

    fn observe(&self, date: &str, resource: &str, time: Option<&str>) -> Result<Vec<Holder>> {
        let mut call = OBSERVE.prepare_invoke();
        call.key(self.keys.slot_index(date, resource))
            .arg(date)
            .arg(resource)
            .arg(self.keys.slot_lock_prefix(date, resource))
            .arg(self.keys.slot_channel(date, resource));
        if let Some(time) = time {
            call.arg(time);
        }
        let flat: Vec<(String, String, u64)> =
            self.client.run(Retry::Once, |con| call.invoke(con))?;
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
