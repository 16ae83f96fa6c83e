#!/usr/bin/env bash
# Booking throughput for `make bench`: holds and confirmations over HTTP on a
# private site (tests/wp/site.sh), in Redis mode and in the database
# fallback (extension not loaded). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/bench-booking
site=tests/wp/site.sh
so=$PWD/target/release/libredis_persona.so

trap '"$site" stop "$state" >/dev/null' EXIT
export RP_DISABLE_CRON=1 RP_FPM_CHILDREN=${BENCH_FPM_CHILDREN:-4}
url=$(RP_EXTENSION=$so "$site" start "$state")
identity=bench@example.test
printf '<?php\necho RedisPersona\\WordPress\\RestOtpController::issue_token(%s, time() + 3600);\n' "'$identity'" >"$state/token.php"
token=$("$site" wp "$state" "$state/token.php")
bench() { php -n -d extension=curl benches/booking-bench.php "$url" "$identity" "$token" "$1"; }

echo "| mode | holds + confirmations/s (8 clients, distinct slots) | hold p50 (ms) | confirm p50 (ms) | confirm − hold p50 (ms) | hot slot p99 (16 clients, ms) | hot slots booked | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
bench "Redis (extension)"
RP_EXTENSION=none "$site" php "$state"
bench "database fallback"
