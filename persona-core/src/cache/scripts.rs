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
/// Kept to few commands, because on a host where PHP and Redis share a CPU
/// each `redis.call` costs 1-2 µs (measured; benches/RESULTS.md): one `MGET`
/// for both keys, `TIME` only when a key is missing, `PEXPIRE … GT` instead
/// of `PTTL` then `PEXPIRE`, and one `HSET` for every variant's index entry.
///
/// KEYS: generation, version, index, lock, then one variant key per variant.
/// ARGV: fence generation or "", fence version or "", ttl ms, lock token or
/// "", "fresh_until_ms:stale_until_ms", then (persona, encoded body) per
/// variant. Returns {1, generation, version} stored, {0} flushed meanwhile,
/// {-1} invalidated meanwhile.
pub static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua
local current = redis.call('MGET', KEYS[1], KEYS[2])
local gen, ver = current[1], current[2]
-- Moved since the writer looked, unless it was missing then and a store
-- (even value) created it since.
local function moved(value, seen)
  if (value or '0') == seen then return false end
  return not (seen == '0' and value and (tonumber(value) or 1) % 2 == 0)
end
local status = 1
local g, v
if ARGV[1] ~= '' then
  if moved(gen, ARGV[1]) then
    status = 0
  elseif moved(ver, ARGV[2]) then
    status = -1
  end
end
if status == 1 then
  local ttl = ARGV[3]
  g, v = tonumber(gen), tonumber(ver)
  if g then redis.call('PEXPIRE', KEYS[1], ttl, 'GT') end
  if v then redis.call('PEXPIRE', KEYS[2], ttl, 'GT') end
  if not (g and v) then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    if now % 2 == 1 then now = now + 1 end
    if not g then
      g = now
      redis.call('SET', KEYS[1], string.format('%d', g), 'PX', ttl)
    end
    if not v then
      v = now
      redis.call('SET', KEYS[2], string.format('%d', v), 'PX', ttl)
    end
  end
  local stamp = string.format('%020d%020d', g, v)
  local entry = string.format('%d:%d:', g, v) .. ARGV[5]
  local fields = {}
  for k = 5, #KEYS do
    local a = 6 + (k - 5) * 2
    redis.call('SET', KEYS[k], stamp .. ARGV[a + 1], 'PX', ttl)
    fields[#fields + 1] = ARGV[a]
    fields[#fields + 1] = entry
  end
  if #fields > 0 then redis.call('HSET', KEYS[3], unpack(fields)) end
  -- At least ttl: extended when shorter; set when the index is new.
  if redis.call('PEXPIRE', KEYS[3], ttl, 'GT') == 0 then
    redis.call('PEXPIRE', KEYS[3], ttl, 'NX')
  end
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) == ARGV[4] then
  redis.call('DEL', KEYS[4])
end
if status == 1 then return {1, g, v} end
return {status}
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
