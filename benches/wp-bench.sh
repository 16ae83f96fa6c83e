#!/usr/bin/env bash
# WordPress page throughput for `make bench`: wrk against one post whose
# content has a 50 ms shortcode, served three ways by the same private site
# (tests/wp/site.sh): the plugin on the extension, the plugin on its database
# fallback (extension not loaded), and no plugin. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/bench-wp
site=tests/wp/site.sh
so=$PWD/target/release/libredis_persona.so
duration=${BENCH_WRK_SECONDS:-10}
connections=${BENCH_WRK_CONNECTIONS:-8}
samples=${BENCH_TTFB_SAMPLES:-50}

trap '"$site" stop "$state" >/dev/null' EXIT
export RP_DISABLE_CRON=1 RP_FPM_CHILDREN=${BENCH_FPM_CHILDREN:-4}
url=$(RP_EXTENSION=$so "$site" start "$state")
# The page tier stays off: these measure the fragment tier and the fallback.
RP_PAGE_CACHE=off "$site" wp "$state" tests/wp/site/content.php >"$state/content.env"
page=$(grep '^SLOW_URL=' "$state/content.env" | cut -d= -f2)

plugin() { # plugin activate|deactivate
  "$site" wp "$state" benches/wp-plugin-toggle.php "$1"
}

# Medians over sequential requests of one client: time to first byte and to
# the whole page. (php-fpm flushes the first 4 KB of output, the theme's
# header, before the content is rendered, so TTFB alone hides the render.)
median_ms() { sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }'; }
medians() {
  local times
  times=$(for _ in $(seq "$samples"); do
    curl -s -o /dev/null -b rp_persona=family -w '%{time_starttransfer} %{time_total}\n' "$page"
  done)
  echo "$(cut -d' ' -f1 <<<"$times" | median_ms) | $(cut -d' ' -f2 <<<"$times" | median_ms)"
}

measure() { # measure LABEL
  # Warm up: caches filled, opcache compiled, workers started.
  for _ in $(seq 20); do curl -s -o /dev/null -b rp_persona=family "$page"; done
  local header times out rps p50
  header=$(curl -s -o /dev/null -D - -b rp_persona=family "$page" | tr -d '\r' | grep -i '^x-redis-persona:' | cut -d' ' -f2- || true)
  times=$(medians)
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H 'Cookie: rp_persona=family' "$page")
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(awk '/^ +50%/ { print $2 }' <<<"$out")
  echo "| $1 | ${header:-none} | $rps | $p50 | $times |"
}

echo "| configuration | X-Redis-Persona | requests/s ($connections connections) | wrk p50 latency | TTFB median (ms) | full page median (ms) |"
echo "|---|---|---:|---:|---:|---:|"
measure "plugin, extension loaded (Redis)"
RP_EXTENSION=none "$site" php "$state"
measure "plugin, no extension (database fallback)"
plugin deactivate >/dev/null
measure "no plugin (every view renders)"
plugin activate >/dev/null
