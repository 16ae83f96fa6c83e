//! The page tier's Lua scripts. Each runs in one slot: the keys it names and
//! the keys it derives (from `ARGV[1]`, the bucket's key base, plus members
//! of its own index sets) share the bucket's hash tag.
//!
//! Numbers: microseconds since 1970 (16 digits) are exact in Lua's doubles
//! but `tostring` would print `1.7e+15`, so they are written with
//! `string.format('%d')`, and generations are compared as strings.
//!
//! Memory: `FETCH` reads and may take a lease (a few bytes), and must keep
//! serving hits when Redis is full, so it carries `allow-oom`, as do the
//! scripts that free memory or must always work (abandon, purge,
//! invalidate, flush). `STORE` does not: under `maxmemory` it is refused as
//! a whole before it runs, never half-applied.

use std::sync::LazyLock;

use redis::Script;

/// The body is not returned: a Lua string of a page costs more than the
/// rest of the script (about 11 µs for 8 KB here), so the caller reads the
/// page with a plain `HMGET` pipelined after the script, in the same round
/// trip, and uses it only if its `s` is the one the script judged.
///
/// A page counts only with the current generation and when none of its
/// stamp fields (`k`: its URL, posts and tags) was stamped at or after its
/// fence: that hides an invalidated page even when the index set that
/// should have listed it was evicted (within the stamps' keep window).
///
/// KEYS: bucket state, page, lease. ARGV: token, lease ms, state TTL ms,
/// "1" to take the lease when the page is missing or stale ("0": only look).
/// Returns {"1", gen, now_us, s} fresh; {"2", gen, now_us, s, got} stale;
/// {"3", gen, now_us, got, held} miss (`got` "1" when this call took the
/// lease, `held` "1" when someone holds it now).
/// Re-entrant: a lease already held by this token counts as taken, so a
/// fetch resent on a fresh connection (Retry::Idempotent) is not locked out
/// by itself.
pub static FETCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_s = string.format('%d', now)
local now_ms = math.floor(now / 1000)
local state = redis.call('HMGET', KEYS[1], 'g', 'l')
local gen = state[1]
if not gen then
  gen = now_s
  redis.call('HSET', KEYS[1], 'g', gen)
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
local page = redis.call('HMGET', KEYS[2], 's', 'k')
local stale = false
if page[1] then
  local g, _, fresh, last, seen = string.match(page[1], '^(%d+) (%d+) (%d+) (%d+) (%d+)$')
  local valid = g == gen
  -- Stamped since its fence: invalidated, even if its index entry was lost.
  -- 'l' is the latest stamp of the bucket: older than the fence, none is newer.
  local fenced = tonumber(seen)
  if valid and page[2] and page[2] ~= '' and state[2] and tonumber(state[2]) >= fenced then
    local fields = {}
    for f in string.gmatch(page[2], '%S+') do fields[#fields + 1] = f end
    local stamps = redis.call('HMGET', KEYS[1], unpack(fields))
    for i = 1, #fields do
      if stamps[i] and tonumber(stamps[i]) >= fenced then valid = false end
    end
  end
  if valid then
    if now_ms < tonumber(fresh) then
      return {'1', gen, now_s, page[1]}
    end
    stale = now_ms < tonumber(last)
  end
end
local got = '0'
if ARGV[4] == '1' then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) or redis.call('GET', KEYS[3]) == ARGV[1] then got = '1' end
end
if stale then return {'2', gen, now_s, page[1], got} end
local held = '0'
if got == '1' or redis.call('EXISTS', KEYS[3]) == 1 then held = '1' end
return {'3', gen, now_s, got, held}
",
    )
});

/// Stores a page if nothing that affects it moved since its fence.
///
/// KEYS: bucket state, page, lease, the URL's variant set, then the index
/// set of each post and of each tag. ARGV: fence generation, fence time µs,
/// lease token or "", max render age µs, fresh ms, life ms (fresh + stale),
/// variant, page id ("{u}:{variant}"), meta, body, URL, URL stamp field,
/// number of posts, then the post ids, then the tags.
/// Returns 1 stored, 0 flushed (or the state was lost), -1 invalidated,
/// -2 the fence is too old (or from the future).
pub static STORE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
local gen = redis.call('HGET', KEYS[1], 'g')
if gen ~= ARGV[1] then return 0 end
local seen = tonumber(ARGV[2])
if not seen or now < seen or now - seen > tonumber(ARGV[4]) then return -2 end
local np = tonumber(ARGV[13])
local fields = {ARGV[12]}
for i = 14, #ARGV do
  if i - 13 <= np then fields[#fields + 1] = 'p:' .. ARGV[i] else fields[#fields + 1] = 't:' .. ARGV[i] end
end
local stamps = redis.call('HMGET', KEYS[1], unpack(fields))
for i = 1, #fields do
  local s = stamps[i] and tonumber(stamps[i])
  if s and s >= seen then return -1 end
end
local now_ms = math.floor(now / 1000)
local life = tonumber(ARGV[6])
local s = string.format('%s %d %d %d %d', gen, now_ms, now_ms + tonumber(ARGV[5]), now_ms + life, seen)
redis.call('HSET', KEYS[2], 's', s, 'm', ARGV[9], 'b', ARGV[10], 'u', ARGV[11], 'k', table.concat(fields, ' '))
redis.call('PEXPIRE', KEYS[2], life)
for k = 4, #KEYS do
  if k == 4 then redis.call('SADD', KEYS[k], ARGV[7]) else redis.call('SADD', KEYS[k], ARGV[8]) end
  if redis.call('PTTL', KEYS[k]) < life then redis.call('PEXPIRE', KEYS[k], life) end
end
if redis.call('PTTL', KEYS[1]) < life then redis.call('PEXPIRE', KEYS[1], life) end
return 1
",
    )
});

/// Compare-and-delete of a render lease. KEYS: lease. ARGV: token.
pub static ABANDON: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    )
});

/// Drops the pages that show any of the posts or carry any of the tags, in
/// each bucket given, and stamps each post and tag with the server time, so
/// a render whose fence is older is refused. Prunes stamps past the keep
/// window when a state hash grows.
///
/// On a cluster each bucket (its own hash tag) gets its own call; on one
/// server one call takes all sixteen: the per-call cost (script set-up,
/// `TIME`) was most of an invalidation's server time when no page was
/// stored, paid sixteen times.
///
/// KEYS: bucket states. ARGV: keep ms, keep µs, number of posts, then the
/// key base of each bucket (one per KEY), then the post ids, then the tags.
/// Returns pages dropped.
pub static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_s = string.format('%d', now)
local np = tonumber(ARGV[3])
local first = 4 + #KEYS
-- Per bucket: one SUNION, one DEL of the pages, one of the index sets and
-- one HSET of the stamps, whatever the number of targets: per-target calls
-- made this script most of an invalidation's server time.
local stamps = {}
for i = first, #ARGV do
  local kind = 't:'
  if i - first < np then kind = 'p:' end
  stamps[#stamps + 1] = kind .. ARGV[i]
  stamps[#stamps + 1] = now_s
end
local targets = #stamps
stamps[#stamps + 1] = 'l'
stamps[#stamps + 1] = now_s
local dropped = 0
local keep = tonumber(ARGV[1])
for b = 1, #KEYS do
  local state = KEYS[b]
  local base = ARGV[3 + b]
  -- A bucket without its state has no generation: none of its pages can be
  -- served and no render fenced in it can be stored (both need the state's
  -- 'g'), so there is nothing to drop or stamp; its index sets expire.
  local left = redis.call('PTTL', state)
  if left ~= -2 and targets > 0 then
    local sets = {}
    for j = 1, targets, 2 do sets[#sets + 1] = base .. stamps[j] end
    local pages = redis.call('SUNION', unpack(sets))
    for from = 1, #pages, 500 do
      local batch = {}
      for j = from, math.min(from + 499, #pages) do batch[#batch + 1] = base .. 'u:' .. pages[j] end
      dropped = dropped + redis.call('DEL', unpack(batch))
    end
    -- An empty union means none of the sets exists (Redis deletes empty sets).
    if #pages > 0 then redis.call('DEL', unpack(sets)) end
    -- Only a hash that grew can have passed the bound since it was pruned.
    local added = redis.call('HSET', state, unpack(stamps))
    -- Extended to twice the keep window, so most invalidations skip this.
    if left < keep then redis.call('PEXPIRE', state, 2 * keep) end
    if added > 0 and redis.call('HLEN', state) > 512 then
      local horizon = now - tonumber(ARGV[2])
      local all = redis.call('HGETALL', state)
      for j = 1, #all, 2 do
        if all[j] ~= 'g' and all[j] ~= 'l' and (tonumber(all[j + 1]) or 0) < horizon then
          redis.call('HDEL', state, all[j])
        end
      end
    end
  end
end
return dropped
",
    )
});

/// Moves a bucket's generation: every page stored before is unreachable and
/// every fence taken before is refused. KEYS: bucket state. ARGV: TTL ms.
/// Returns the new generation.
pub static FLUSH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "#!lua flags=allow-oom\n{}return page_generation\n",
        flush_block("KEYS[1]", "ARGV[1]")
    ))
});

/// Lua that moves the page generation of the bucket state `state` (keeping
/// the hash at least `ttl` ms) into `page_generation`; shared by [`FLUSH`]
/// and the content cache's flush, which moves both tiers of a bucket in one
/// script (the bucket's keys share a slot).
pub(crate) fn flush_block(state: &str, ttl: &str) -> String {
    format!(
        r"local page_generation
do
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local g = tonumber(redis.call('HGET', {state}, 'g') or '0') or 0
  page_generation = math.max(g + 1, now)
  redis.call('HSET', {state}, 'g', string.format('%d', page_generation))
  if redis.call('PTTL', {state}) < tonumber({ttl}) then redis.call('PEXPIRE', {state}, {ttl}) end
end
"
    )
}

/// Drops every variant of one URL and stamps the URL (a render fenced
/// before is refused). KEYS: bucket state, the URL's variant set. ARGV: page
/// key prefix ("…u:{u}:"), URL stamp field, keep ms. Returns pages dropped.
pub static PURGE_URL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=allow-oom
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = 0
for _, variant in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  n = n + redis.call('DEL', ARGV[1] .. variant)
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[2], string.format('%d', now), 'l', string.format('%d', now))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n
",
    )
});

/// The current pages of a bucket that show any of the posts or carry any
/// of the tags. KEYS: bucket state. ARGV: key base, limit, number of posts,
/// post ids, tags. Returns a flat list url, variant, url, variant...
pub static PAGES_FOR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua flags=no-writes,allow-oom
local base = ARGV[1]
local limit = tonumber(ARGV[2])
local np = tonumber(ARGV[3])
local gen = redis.call('HGET', KEYS[1], 'g')
local out, seen = {}, {}
if not gen then return out end
for i = 4, #ARGV do
  local kind = 't:'
  if i - 3 <= np then kind = 'p:' end
  for _, member in ipairs(redis.call('SMEMBERS', base .. kind .. ARGV[i])) do
    if not seen[member] then
      seen[member] = true
      local page = redis.call('HMGET', base .. 'u:' .. member, 's', 'u')
      if page[1] and page[2] and string.match(page[1], '^(%d+) ') == gen then
        out[#out + 1] = page[2]
        out[#out + 1] = string.match(member, ':(.*)$')
        if #out >= limit * 2 then return out end
      end
    end
  end
end
return out
",
    )
});
