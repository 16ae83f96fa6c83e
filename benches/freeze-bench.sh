#!/usr/bin/env bash
# Page latency while Redis hangs, for `make bench`: wrk (2 threads, 8
# connections, 30 s) against a typical post with the persona cookie, once
# undisturbed and once with the site's redis-server frozen (SIGSTOP) from
# second 10 to second 20. A frozen Redis accepts connections and never
# answers, the worst case for a client: only timeouts, the stall verdict
# (persona-core/src/connection/stall.rs) and the circuit breaker keep pages from
# hanging. Prints a Markdown table.
#
# Target: during the freeze no request takes longer than the read timeout
# + 100 ms, and p99 stays within 2x of the undisturbed run's p99.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/bench-freeze
site=tests/wp/site.sh
so=$PWD/target/release/libredis_persona.so
duration=${BENCH_FREEZE_SECONDS:-30}
freeze_at=${BENCH_FREEZE_AT:-10}
freeze_for=${BENCH_FREEZE_FOR:-10}
redis_pid=
wrk_pid=

cleanup() {
  # Never leave the server frozen, whatever failed (a stopped redis-server
  # would also ignore the TERM that stops the site).
  if [ -n "$redis_pid" ]; then kill -CONT "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$wrk_pid" ]; then kill "$wrk_pid" 2>/dev/null || true; fi
  "$site" stop "$state" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

export RP_DISABLE_CRON=1 RP_FPM_CHILDREN=${BENCH_FPM_CHILDREN:-4}
RP_EXTENSION=$so "$site" start "$state" >/dev/null
# The page tier stays off: these measure the fragment tier and the fallback.
RP_PAGE_CACHE=off "$site" wp "$state" tests/wp/site/content.php >"$state/content.env"
page=$(grep '^WELCOME_URL=' "$state/content.env" | cut -d= -f2)
redis_pid=$(cat "$state/redis/redis.pid")

# The read timeout the site's php-fpm runs with: its INI setting, or the
# built-in default when unset (0).
read_timeout=$(php -n -c "$state/php.ini" -r 'echo (int) ini_get("redis_persona.read_timeout_ms");')
if [ "$read_timeout" -le 0 ]; then
  read_timeout=$(grep -o 'DEFAULT_READ_TIMEOUT_MS: u64 = [0-9_]*' persona-core/src/connection/config.rs | grep -o '[0-9_]*$' | tr -d _)
fi
slow_ms=$((read_timeout + 100))

pause() { sleep "$1" & wait $!; } # a trap runs at once, not after the sleep

run_wrk() { # run_wrk FREEZE(0|1) OUT: wrk's output, with the FREEZE line of freeze-latency.lua
  # Not in a subshell: the traps must see wrk_pid and run during the freeze.
  # --timeout well past the freeze, so that slow requests are measured
  # rather than dropped as timeouts.
  SLOW_MS=$slow_ms wrk -t2 -c8 -d"${duration}s" --latency --timeout 30s -s benches/freeze-latency.lua \
    -H 'Cookie: rp_persona=family' "$page" >"$2" 2>&1 &
  wrk_pid=$!
  if [ "$1" = 1 ]; then
    pause "$freeze_at"
    kill -STOP "$redis_pid"
    pause "$freeze_for"
    kill -CONT "$redis_pid"
  fi
  wait "$wrk_pid"
  wrk_pid=
  grep -q '^FREEZE ' "$2" || { cat "$2" >&2; return 1; }
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

row() { # row LABEL LINE
  echo "| $1 | $(field requests "$2") | $(field p50_ms "$2") | $(field p99_ms "$2") | $(field max_ms "$2") | $(field slow "$2") | $(field non2xx "$2") |"
}

# Warm up: caches filled, opcache compiled, workers and pools started.
for _ in $(seq 30); do curl -s -o /dev/null -b rp_persona=family "$page"; done
run_wrk 0 "$state/wrk-calm.out"
for _ in $(seq 10); do curl -s -o /dev/null -b rp_persona=family "$page"; done
run_wrk 1 "$state/wrk-frozen.out"
# One client alone during a freeze: what a page costs without queueing
# behind other blocked workers.
pause 2
kill -STOP "$redis_pid"
single=$(for _ in $(seq 12); do
  curl -s -o /dev/null -b rp_persona=family -w '%{time_total}\n' "$page"
  sleep 0.25
done | sort -n | awk '{ a[NR] = $1 * 1000 } END { printf "median %.0f ms, max %.0f ms", a[int((NR + 1) / 2)], a[NR] }')
kill -CONT "$redis_pid"
calm=$(grep '^FREEZE ' "$state/wrk-calm.out")
frozen=$(grep '^FREEZE ' "$state/wrk-frozen.out")

calm_p99=$(field p99_ms "$calm")
frozen_p99=$(field p99_ms "$frozen")
frozen_slow=$(field slow "$frozen")
ratio=$(awk -v a="$frozen_p99" -v b="$calm_p99" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
verdict_slow=$([ "$frozen_slow" = 0 ] && echo met || echo "missed ($frozen_slow requests)")
verdict_p99=$(awk -v r="$ratio" 'BEGIN { print (r <= 2 ? "met" : "missed") }')

echo "| run | requests | p50 (ms) | p99 (ms) | max (ms) | slower than ${slow_ms} ms | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "no freeze" "$calm"
row "Redis frozen s ${freeze_at}-$((freeze_at + freeze_for))" "$frozen"
echo
echo "Read timeout ${read_timeout} ms, so the bound is ${slow_ms} ms. Targets: no request over ${slow_ms} ms during"
echo "the freeze: **${verdict_slow}**; p99 within 2x of the undisturbed run (${ratio}x): **${verdict_p99}**."
echo "One client alone, 12 sequential pages 0.25 s apart while Redis is frozen: ${single}."
echo "Load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared, so absolute"
echo "latencies vary from run to run; the comparison of the two runs is what counts)."
