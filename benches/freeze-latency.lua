-- wrk script of benches/freeze-bench.sh: after the run, one line of numbers.
-- The count of requests slower than SLOW_MS (env) comes from wrk's own
-- latency distribution: a binary search for the percentile at which latency
-- passes the bound, times the number of recorded responses.

local slow_us = tonumber(os.getenv("SLOW_MS") or "600") * 1000

local function slower_than(latency, total, bound)
  if total == 0 or latency.max <= bound then
    return 0
  end
  local low, high = 0.0, 100.0
  for _ = 1, 60 do
    local mid = (low + high) / 2
    if latency:percentile(mid) > bound then
      high = mid
    else
      low = mid
    end
  end
  return math.floor(total * (100.0 - high) / 100.0 + 0.5)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "FREEZE requests=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f slow=%d non2xx=%d timeouts=%d socket_errors=%d\n",
    summary.requests,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    slower_than(latency, summary.requests, slow_us) + errors.timeout,
    errors.status,
    errors.timeout,
    errors.connect + errors.read + errors.write
  ))
end
