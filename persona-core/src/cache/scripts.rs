//! The cache's Lua scripts and why each is written the way it is.
//!
//! Generations and post versions come from the server clock in microseconds
//! (`TIME`), so a key that was lost (expired, evicted, deleted by hand) is
//! recreated with a value never used before and nothing written under the
//! old value can match it again. Lua 5.1 numbers are doubles: microseconds
//! since 1970 (16 digits) are exact, but `tostring` would print `1.7e+15`,
//! so every number is written with `string.format('%d', …)`.
//!
//! Parity says who made a value: a flush or an invalidation writes an odd
//! one, the store script creating a missing key an even one. So a writer
//! that saw the key missing (fence 0) and now finds an even value knows only
//! other writers came by, not an edit or a flush, and is not refused for it.
//!
//! Out of memory (`maxmemory` with `noeviction`): a script with a `#!lua`
//! line and no `allow-oom` flag is refused as a whole before it runs, so a
//! store never half-applies (no variant without its index entry, no
//! generation created for nothing). Scripts that free memory (release,
//! invalidate, flush) carry `allow-oom` and keep working. Shebang flags need
//! Redis 7.0 or later.

use std::sync::LazyLock;

use redis::Script;

/// Stores variants if the generation and post version are still what the
/// writer saw (no fence: whatever is current), stamped with that generation
/// and version; creates either key from the clock (even) when missing; keeps both
/// and the variant index alive at least as long as the variants; releases
/// the writer's render lock if it holds it.
///
/// KEYS: generation, version, index, lock, then one variant key per variant.
/// ARGV: fence generation or "", fence version or "", ttl ms, lock token or
/// "", "fresh_until_ms:stale_until_ms", then (persona, encoded body) per
/// variant. Returns 1 stored, 0 flushed meanwhile, -1 invalidated meanwhile.
pub static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua
local gen = redis.call('GET', KEYS[1])
local ver = redis.call('GET', KEYS[2])
-- Moved since the writer looked, unless it was missing then and a store
-- (even value) created it since.
local function moved(current, seen)
  if (current or '0') == seen then return false end
  return not (seen == '0' and current and (tonumber(current) or 1) % 2 == 0)
end
local status = 1
if ARGV[1] ~= '' then
  if moved(gen, ARGV[1]) then
    status = 0
  elseif moved(ver, ARGV[2]) then
    status = -1
  end
end
if status == 1 then
  local ttl = tonumber(ARGV[3])
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if now % 2 == 1 then now = now + 1 end
  local g, v = tonumber(gen), tonumber(ver)
  if not g then
    g = now
    redis.call('SET', KEYS[1], string.format('%d', g), 'PX', ttl)
  elseif redis.call('PTTL', KEYS[1]) < ttl then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
  if not v then
    v = now
    redis.call('SET', KEYS[2], string.format('%d', v), 'PX', ttl)
  elseif redis.call('PTTL', KEYS[2]) < ttl then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
  local stamp = string.format('%020d%020d', g, v)
  local entry = string.format('%d:%d:', g, v) .. ARGV[5]
  for k = 5, #KEYS do
    local a = 6 + (k - 5) * 2
    redis.call('SET', KEYS[k], stamp .. ARGV[a + 1], 'PX', ttl)
    redis.call('HSET', KEYS[3], ARGV[a], entry)
  end
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) == ARGV[4] then
  redis.call('DEL', KEYS[4])
end
return status
",
    )
});

/// Compare-and-delete of a render lock. KEYS: lock. ARGV: token.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    )
});
