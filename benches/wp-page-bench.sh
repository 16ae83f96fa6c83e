#!/usr/bin/env bash
# The full-page tier on a typical block-theme page, for `make bench`: wrk and
# sequential TTFB against one ~1 200-word post of Twenty Twenty-Three on a
# private site (tests/wp/site.sh), persona cookie set, in five
# configurations next to the floor (a 1-line PHP script readfile()-ing the
# same bytes through the same nginx + php-fpm). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/bench-page
site=tests/wp/site.sh
so=$PWD/target/release/libredis_persona.so
duration=${BENCH_WRK_SECONDS:-10}
connections=${BENCH_WRK_CONNECTIONS:-8}
samples=${BENCH_TTFB_SAMPLES:-20}

trap '"$site" stop "$state" >/dev/null' EXIT
# Debian's opcache default (revalidate every 2 s), not the test sites' 0.
export RP_DISABLE_CRON=1 RP_FPM_CHILDREN=${BENCH_FPM_CHILDREN:-4} RP_OPCACHE_REVALIDATE_FREQ=2
RP_EXTENSION=$so "$site" start "$state" >/dev/null
RP_PAGE_CACHE=off "$site" wp "$state" tests/wp/site/content.php >"$state/content.env"
page=$("$site" wp "$state" benches/wp-page-content.php | tail -n 1)
redis_port=$(cat "$state/redis/redis.port")

# A settings change reaches php-fpm once opcache revalidates (2 s).
wp() { "$site" wp "$state" "$@" >/dev/null; sleep 3; }
redis_down() { scripts/redis.sh stop "$state/redis"; }
redis_up() { REDIS_PORT=$redis_port scripts/redis.sh start "$state/redis" >/dev/null; sleep 1.2; }

# Median time to first byte of sequential requests, in ms.
ttfb_ms() {
  for _ in $(seq "$samples"); do
    curl -s -o /dev/null -H "Accept-Encoding: ${2:-identity}" -b rp_persona=family -w '%{time_starttransfer}\n' "$1"
  done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] * 1000 }'
}

floor_rps=0
measure() { # measure LABEL URL [ACCEPT-ENCODING]
  local encoding=${3:-identity}
  for _ in $(seq 20); do curl -s -o /dev/null -b rp_persona=family "$2"; done
  local header bytes out rps p50 p99 ratio
  header=$(curl -s -o /dev/null -D - -b rp_persona=family "$2" | tr -d '\r' | grep -i '^x-redis-persona:' | cut -d' ' -f2- || true)
  bytes=$(curl -s -H "Accept-Encoding: $encoding" -b rp_persona=family "$2" | wc -c)
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H 'Cookie: rp_persona=family' -H "Accept-Encoding: $encoding" "$2")
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(awk '/^ +50%/ { print $2 }' <<<"$out")
  p99=$(awk '/^ +99%/ { print $2 }' <<<"$out")
  if [ "$floor_rps" = 0 ]; then floor_rps=$rps; fi
  ratio=$(awk -v a="$rps" -v b="$floor_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }')
  echo "| $1 | ${header:-none} | $bytes | $rps | $ratio | $p50 | $p99 | $(ttfb_ms "$2" "$encoding") |"
}

# The floor: the page tier's own family page, saved and served by readfile().
wp benches/wp-page-tier.php on
curl -s -o /dev/null -b rp_persona=family "$page"
curl -s -b rp_persona=family "$page" >"$state/wordpress/rp-floor.html"
printf '<?php\nreadfile(__DIR__ . "/rp-floor.html");\n' >"$state/wordpress/rp-floor.php"
floor_url="${page%%://*}://$(cut -d/ -f3 <<<"$page")/rp-floor.php"

echo "| configuration | X-Redis-Persona | bytes | requests/s ($connections connections) | of the floor | wrk p50 | wrk p99 | TTFB median, $samples sequential (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
measure "floor: readfile() of the same bytes through nginx + php-fpm" "$floor_url"
measure "page cache (hits)" "$page"
measure "page cache (hits), client accepts gzip: the stored bytes as they are" "$page" gzip
redis_down
measure "page cache, Redis stopped (connection refused)" "$page"
wp benches/wp-page-tier.php off
measure "page tier off, Redis stopped (connection refused)" "$page"
redis_up
measure "fragment cache only (page tier off)" "$page"
wp benches/wp-plugin-toggle.php deactivate
measure "no cache (plugin deactivated)" "$page"
wp benches/wp-plugin-toggle.php activate
