//! The booking primitives' Lua, loaded once as a Redis 7 function library
//! (`FUNCTION LOAD`) and run with `FCALL`.
//!
//! Why functions and not `EVALSHA`: measured on Redis 7.0 (server time per
//! call from `INFO commandstats`, benches/RESULTS.md), an empty `FCALL`
//! costs 0.74 µs against 1.10 µs for an empty `EVALSHA`, and the rate
//! limiter 5.7 µs against 6.8 µs: the server sets up less per call (no
//! KEYS/ARGV globals, no script-cache lookup by SHA). Every booking call is
//! one of these, so the saving is on every lock, code and attempt.
//!
//! Versions: the library and its functions are named after a hash of the
//! Lua text, so extensions of different versions sharing one server never
//! replace each other's functions. A server that does not know them (a
//! restart, `FUNCTION FLUSH`) answers "Function not found" without running
//! anything; [`fcall`] then loads the library and sends the call again.
//!
//! Out of memory: a function without flags is refused as a whole before it
//! runs (never half-applied); the ones that only free memory (release)
//! carry `allow-oom`. Functions are kept in RDB and AOF files, so a server that
//! restarts with its data (and so possibly full) has them; one that lost
//! them lost its data too, and has room for the `FUNCTION LOAD` (which
//! Redis refuses when out of memory, unlike `SCRIPT LOAD`).
//!
//! Events (lock, release, extend, expiry) are JSON objects built by string
//! concatenation instead of `cjson.encode`: Rust passes the slot's fields
//! already JSON-encoded (`"date":…,"resource":…,"time":…`) and the owner as
//! a JSON string, and the stored holder (`{"owner":…,"fence":…,
//! "expires_at_ms":…}`) is spliced in as it is. Subscribers see the same
//! fields as before; only their order may differ.

use std::sync::LazyLock;

use redis::{Cmd, ConnectionLike, FromRedisValue, RedisResult};
use sha2::{Digest, Sha256};

/// The functions' bodies (`{p}` becomes the versioned name prefix).
const LUA: &str = r#"
-- Publishes {"event":name, <head>, <holder's fields>} on channel.
local function publish(channel, name, head, holder)
  local tail = '}'
  if holder and #holder > 2 then tail = ',' .. string.sub(holder, 2) end
  redis.call('PUBLISH', channel, '{"event":"' .. name .. '",' .. head .. tail)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- GCRA in ticks of 1/limit ms (see ratelimit.rs). The key expires at the
-- theoretical arrival time rounded up to the ms; its value is how many
-- ticks that rounding added. So its PTTL gives tat - now without a TIME
-- call, exactly. Returns the remaining burst (>= 0) when allowed, else
-- -1 - (seconds until an attempt is allowed). An older version's key (its
-- TTL was tat - now too) carries over; an unreadable remainder counts as 0.
local function gcra(key, limit, window)
  local lead = 0
  local left = redis.call('PTTL', key)
  if left > 0 then
    -- When T is a whole number of ms (window % limit == 0, as in 5 per
    -- hour or 10 per second) tat never falls between two ms: no rounding
    -- to read back.
    local back = 0
    if window % limit ~= 0 then back = tonumber(redis.pcall('GET', key)) or 0 end
    lead = left * limit - back
  end
  local capacity = window * limit
  if lead < 0 then lead = 0 elseif lead > capacity then lead = capacity end
  local new_lead = lead + window
  if new_lead > capacity then
    return -1 - math.ceil((new_lead - capacity) / (limit * 1000))
  end
  local whole = math.ceil(new_lead / limit)
  redis.call('SET', key, string.format('%d', whole * limit - new_lead), 'PX', string.format('%d', whole))
  return math.floor((capacity - new_lead) / window)
end

-- KEYS: state. ARGV: limit, window ms.
redis.register_function('{p}rate', function(keys, args)
  return gcra(keys[1], tonumber(args[1]), tonumber(args[2]))
end)

-- KEYS: code, issue limiter state. ARGV: code HMAC, ttl ms, issue limit,
-- window ms. Returns 0 issued, else what gcra returns when refused.
redis.register_function('{p}otp_issue', function(keys, args)
  local verdict = gcra(keys[2], tonumber(args[3]), tonumber(args[4]))
  if verdict < 0 then return verdict end
  redis.call('HSET', keys[1], 'h', args[1], 'a', '0')
  redis.call('PEXPIRE', keys[1], args[2])
  return 0
end)

-- KEYS: code. ARGV: HMAC of the typed code, max attempts. Reserves an
-- attempt, compares, consumes on a match: 1 verified, else 0.
redis.register_function('{p}otp_verify', function(keys, args)
  local stored = redis.call('HGET', keys[1], 'h')
  if not stored then return 0 end
  if redis.call('HINCRBY', keys[1], 'a', 1) > tonumber(args[2]) then return 0 end
  if stored ~= args[1] then return 0 end
  redis.call('DEL', keys[1])
  return 1
end)

-- The lock key holds "<token> <holder JSON>", so release and extend find
-- the holder without reading the index. (A bare token, from an older
-- version, still matches; its holder is read from the index.)
-- Returns the holder JSON if `value` belongs to `token`, true for a bare
-- token, else nil.
local function held_by(value, token)
  if not value then return nil end
  if value == token then return true end
  if string.sub(value, 1, #token + 1) == token .. ' ' then return string.sub(value, #token + 2) end
  return nil
end

-- At least `ttl` ms: set when the key has no TTL (a new index), else
-- extended when shorter.
local function expire_at_least(key, ttl)
  if redis.call('PEXPIRE', key, ttl, 'NX') == 0 then redis.call('PEXPIRE', key, ttl, 'GT') end
end

-- KEYS: lock, index, fence. ARGV: time, token, channel, ttl ms, owner as a
-- JSON string, caller's clock ms, min fence, event head. Returns {fence,
-- expires_at_ms} or false when held. The fence is computed first (reads
-- only) and stored only once the lock is taken.
redis.register_function('{p}lock_acquire', function(keys, args)
  local ttl = tonumber(args[4])
  local now = now_ms()
  local fence = math.max(now, tonumber(args[6]), tonumber(args[7]))
  local last = tonumber(redis.call('GET', keys[3]))
  if last and last + 1 > fence then fence = last + 1 end
  local holder = string.format('{"owner":%s,"fence":%d,"expires_at_ms":%d}', args[5], fence, now + ttl)
  if not redis.call('SET', keys[1], args[2] .. ' ' .. holder, 'NX', 'PX', args[4]) then return false end
  redis.call('SET', keys[3], string.format('%d', fence), 'PX',
    string.format('%d', math.min(fence - now + 1, 2592000000)))
  if redis.call('HSETNX', keys[2], args[1], holder) == 0 then
    -- An entry left by a lock that expired unobserved.
    publish(args[3], 'expired', args[8], redis.call('HGET', keys[2], args[1]))
    redis.call('HSET', keys[2], args[1], holder)
  end
  expire_at_least(keys[2], ttl)
  publish(args[3], 'acquired', args[8], holder)
  return {fence, now + ttl}
end)

-- KEYS: lock, index. ARGV: time, token, channel, event head.
redis.register_function{function_name = '{p}lock_release', flags = {'allow-oom'},
  callback = function(keys, args)
    local holder = held_by(redis.call('GET', keys[1]), args[2])
    if not holder then return 0 end
    redis.call('DEL', keys[1])
    if holder == true then holder = redis.call('HGET', keys[2], args[1]) or nil end
    redis.call('HDEL', keys[2], args[1])
    publish(args[3], 'released', args[4], holder)
    return 1
  end}

-- KEYS: lock, index. ARGV: time, token, channel, event head, ttl ms.
-- Returns the new expiry (ms) or false.
redis.register_function('{p}lock_extend', function(keys, args)
  local raw = held_by(redis.call('GET', keys[1]), args[2])
  if not raw then return false end
  if raw == true then raw = redis.call('HGET', keys[2], args[1]) end
  local ttl = tonumber(args[5])
  local now = now_ms()
  local holder = raw and cjson.decode(raw) or {}
  holder.expires_at_ms = now + ttl
  local encoded = cjson.encode(holder)
  redis.call('SET', keys[1], args[2] .. ' ' .. encoded, 'PX', args[5])
  redis.call('HSET', keys[2], args[1], encoded)
  expire_at_least(keys[2], ttl)
  publish(args[3], 'extended', args[4], encoded)
  return now + ttl
end)

-- KEYS: index. ARGV: lock key prefix, channel, day head ("date" and
-- "resource" fields), and optionally one time to look at (else every time
-- in the index). Drops (and announces) index entries whose lock is gone;
-- returns {time, holder JSON, remaining ms} triples of live locks.
redis.register_function('{p}lock_observe', function(keys, args)
  local times
  if args[4] then times = {args[4]} else times = redis.call('HKEYS', keys[1]) end
  local live = {}
  for _, time in ipairs(times) do
    local raw = redis.call('HGET', keys[1], time)
    if raw then
      local left = redis.call('PTTL', args[1] .. time)
      if left > 0 then
        table.insert(live, time); table.insert(live, raw); table.insert(live, left)
      else
        redis.call('HDEL', keys[1], time)
        publish(args[2], 'expired', args[3] .. ',"time":' .. cjson.encode(time), raw)
      end
    end
  end
  return live
end)
"#;

struct Library {
    /// `FUNCTION LOAD` text.
    text: String,
    /// Prefix of every function name: `rp` and 12 hex digits of the hash.
    prefix: String,
}

static LIBRARY: LazyLock<Library> = LazyLock::new(|| {
    let digest = Sha256::digest(LUA.as_bytes());
    let tag = crate::token::hex(&digest[..6]);
    let prefix = format!("rp{tag}_");
    Library {
        text: format!(
            "#!lua name=redis_persona_{tag}\n{}",
            LUA.replace("{p}", &prefix)
        ),
        prefix,
    }
});

/// The library's functions.
#[derive(Debug, Clone, Copy)]
pub enum Function {
    Rate,
    OtpIssue,
    OtpVerify,
    LockAcquire,
    LockRelease,
    LockExtend,
    LockObserve,
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::Rate => "rate",
            Function::OtpIssue => "otp_issue",
            Function::OtpVerify => "otp_verify",
            Function::LockAcquire => "lock_acquire",
            Function::LockRelease => "lock_release",
            Function::LockExtend => "lock_extend",
            Function::LockObserve => "lock_observe",
        }
    }

    /// `FCALL <function> <number of keys> <keys>…`; add the arguments next.
    pub fn call(self, keys: &[&str]) -> Cmd {
        let mut cmd = redis::cmd("FCALL");
        let mut name = String::with_capacity(LIBRARY.prefix.len() + 12);
        name.push_str(&LIBRARY.prefix);
        name.push_str(self.name());
        cmd.arg(name).arg(keys.len());
        for key in keys {
            cmd.arg(*key);
        }
        cmd
    }
}

/// Runs a call built by [`Function::call`], loading the library first when
/// the server does not have it (nothing ran then, so sending again is safe
/// even for writes).
pub fn fcall<T: FromRedisValue>(con: &mut dyn ConnectionLike, cmd: &Cmd) -> RedisResult<T> {
    match cmd.query(con) {
        Err(e) if e.to_string().contains("Function not found") => {
            redis::cmd("FUNCTION")
                .arg("LOAD")
                .arg("REPLACE")
                .arg(&LIBRARY.text)
                .query::<()>(con)?;
            cmd.query(con)
        }
        other => other,
    }
}

/// The JSON text of a string (for event heads and owners).
pub fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
