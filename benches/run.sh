#!/usr/bin/env bash
# `make bench`: redis-persona against phpredis in the same run, with PHP and
# Redis pinned to one CPU (cross-CPU loopback is ~4x slower here and noisy).
# Writes benches/RESULTS.md, which is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/bench
so=$PWD/target/release/libredis_persona.so
cpu=${BENCH_CPU:-0}

cluster_state=.build/bench-cluster
# Both stopped by pid whatever fails (the cluster is normally stopped as soon
# as its bench is done; stopping it twice is harmless).
stop_servers() {
  scripts/redis-cluster.sh stop "$cluster_state" || true
  scripts/redis.sh stop "$state"
}
port=$(taskset -c "$cpu" scripts/redis.sh start "$state")
trap stop_servers EXIT

php_bench() {
  taskset -c "$cpu" php -n -d extension=igbinary -d extension=redis -d extension="$so" "$@"
}

args=("$port" "${BENCH_ROUNDS:-15}" "${BENCH_ITERATIONS:-2000}")
client=$(php_bench benches/client-bench.php "${args[@]}")
cache=$(php_bench benches/cache-bench.php "${args[@]}")
primitives=$(php_bench benches/primitives-bench.php "${args[@]}")
pages=$(php_bench benches/page-bench.php "${args[@]}")
# 3 masters + 3 replicas on the same CPU as PHP and the single server.
cluster_ports=$(taskset -c "$cpu" scripts/redis-cluster.sh start "$cluster_state")
cluster=$(php_bench benches/cluster-bench.php "${args[@]}" "${cluster_ports// /,}")
scripts/redis-cluster.sh stop "$cluster_state"
# Not pinned: nginx, php-fpm, MariaDB, Redis and wrk share both cores, as on a small host.
wordpress=$(benches/wp-bench.sh)
page_tier=$(benches/wp-page-bench.sh)
freeze=$(benches/freeze-bench.sh)
booking=$(benches/booking-bench.sh)
{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` ($(date -u +%Y-%m-%d)). PHP $(php -r 'echo PHP_VERSION;'),"
  echo "redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2), phpredis $(php -n -d extension=igbinary -d extension=redis -r 'echo phpversion("redis");'),"
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); PHP and Redis pinned to CPU $cpu."
  echo "Each cell is the median of ${BENCH_ROUNDS:-15} interleaved rounds of ${BENCH_ITERATIONS:-2000} calls; ratio < 1 means redis-persona is faster."
  echo
  echo "## Client"
  echo
  echo "$client"
  echo
  echo "## PersonaCache and Invalidator"
  echo
  echo "phpredis side: one key per (post, persona), SETEX to store, GET to read, a SETEX per"
  echo "persona to warm, SMEMBERS of the dependents and a DEL per key to invalidate."
  echo "Pages are generated HTML that compresses like a real page (about 3-4x with LZ4)."
  echo
  echo "$cache"
  echo
  echo "## PageCache"
  echo
  echo "A 40 KB generated page (compresses about 5x). phpredis side: GET of the same bytes under one key, raw or"
  echo "gzip (PHP's gzencode, level 6), and SETEX to store. Ours checks generation, invalidation stamps and the"
  echo "render lease in the same round trip and returns status, headers, tags and posts; store() gzips once and"
  echo "records the page under its posts and tags (benches/page-bench.php)."
  echo
  echo "$pages"
  echo
  echo "## SlotLock, Otp and RateLimiter"
  echo
  echo "Two phpredis peers each. EVALSHA peer: SET NX EX + EVALSHA compare-and-delete; SETEX + GET + DEL of a"
  echo "plain code; INCR then EXPIRE, two calls. Issue 15 peer (exactly as the issue describes it): SET NX EX + EVAL"
  echo "compare-and-delete; SETEX / GET / DEL plus an INCR attempt limit; a bare INCR with EXPIRE only on the first"
  echo "hit of a window. Ours also keep clock-floored fences, the per-day index and events; store only HMACs and"
  echo "count attempts; and rate-limit by GCRA (one key per client, constant memory: second table)."
  echo
  echo "$primitives"
  echo
  cat benches/issue15.md
  echo
  echo "## Redis Cluster"
  echo
  echo "A 3-master / 3-replica cluster (scripts/redis-cluster.sh) pinned to CPU $cpu with PHP, so its six"
  echo "redis-servers share one core: every write also costs its replica's CPU, and a PUBLISH wakes every node"
  echo "(the cluster bus carries it). redis-persona with the \`cluster\` option against phpredis's RedisCluster"
  echo "(persistent, seeded with the six nodes) doing the same job the straightforward way: GET / SETEX of one key;"
  echo "SET NX EX then EVAL compare-and-delete for a lock (phpredis sends the script to its key's node); SMEMBERS of"
  echo "the dependents and a DEL per key (88 keys, no hash tag, so on every master) to invalidate a post, and, as a"
  echo "stronger peer, one DEL of all 88 keys, which phpredis splits by slot; to flush, the per-key loop (SCAN + DEL of"
  echo "every cached key on every master, 88 variants cached; it grows with the cache) and, as a stronger peer, an INCR"
  echo "of a generation key per bucket, 16 buckets in 16 slots as ours, one by one (a cache designed with generations,"
  echo "as ours is; its cost does not grow). Ours also flushes the 16 page-tier buckets and logs the flush,"
  echo "and its invalidatePost also drops the post's pages in the 16 page-tier buckets. Ours sends one pipeline per"
  echo "master, one master after the other (benches/cluster-bench.php). Targets: single-key operations no slower than"
  echo "RedisCluster (ratio <= 1.00); invalidatePost and flush at least 3x faster than its per-key loop (ratio <= 0.33)."
  echo "Round trips per call (strace -c when this bench was written): ours 1 for get/set, 2 for a lock, 4 for flush"
  echo "(3 masters + the log), 8 for invalidatePost (post, its dependents on 3 masters, pages on 3 masters, log);"
  echo "RedisCluster 1, 2, 16 and 89. The second table is ours on the cluster against ours on the single server."
  echo "The last two split each call into the CPU the PHP process spends and the CPU all Redis processes spend"
  echo "(INFO cpu, idle CPU taken off), measured once after the timings: on one core, wall time is about their sum."
  echo
  echo "$cluster"
  echo
  echo "## WordPress page throughput"
  echo
  echo "wrk (2 threads, ${BENCH_WRK_SECONDS:-10} s) against one post whose content runs a 50 ms shortcode, on a private"
  echo "site (Debian's WordPress $(dpkg-query -W -f='${Version}' wordpress | cut -d+ -f1), twentytwentyone, nginx, php-fpm with 4 workers and opcache,"
  echo "MariaDB), persona cookie set. Nothing pinned: all servers and wrk share the 2 cores. The plugin serves"
  echo "the post's content from its cache; the rest of the page (theme, menus, queries) is WordPress's own"
  echo "work in every row, and is the floor these numbers sit on."
  echo
  echo "$wordpress"
  echo
  echo "## Full-page tier on a typical block-theme page"
  echo
  echo "wrk -t2 -c${BENCH_WRK_CONNECTIONS:-8} -d${BENCH_WRK_SECONDS:-10}s --latency against one ~1 200-word post (headings, paragraphs, a list, a quote,"
  echo "persona parts; no slow shortcode) of the block theme Twenty Twenty-Three, persona cookie set,"
  echo "Accept-Encoding: identity (so every page hit is decoded from the stored gzip) except in the row that says gzip,"
  echo "php-fpm with 4 workers and opcache (revalidating every 2 s, Debian's default), nothing"
  echo "pinned. The floor is a one-line PHP script readfile()-ing the same bytes through the same nginx and"
  echo "php-fpm; each row's share of its throughput is in \"of the floor\". TTFB: median of 20 sequential requests"
  echo "(benches/wp-page-bench.sh). Targets: page hits at >= 55 % of the floor, TTFB <= 1.2 ms; with Redis"
  echo "stopped, within 10 % of the same site with the page tier off."
  echo
  echo "$page_tier"
  echo
  echo "## WordPress while Redis is frozen"
  echo
  echo "wrk -t2 -c8 -d30s --latency (plus --timeout 30s, so slow requests are measured, not dropped) against a"
  echo "typical post (persona content, no slow shortcode) with the persona cookie, plugin on the extension,"
  echo "php-fpm with 4 workers. Second run: the site's redis-server is stopped with SIGSTOP from second 10 to"
  echo "second 20, then continued: it accepts connections but answers nothing, so only the read timeout and"
  echo "the circuit breaker bound a page (benches/freeze-bench.sh)."
  echo
  echo "$freeze"
  echo
  echo "## Bookings"
  echo
  echo "Over HTTP on a private site (php-fpm with 4 workers, nothing pinned; benches/booking-bench.sh): one client"
  echo "holding then confirming distinct slots (p50 of each step), 8 clients in parallel on their own slots, and"
  echo "16 clients racing for one slot whose winner confirms (p99 of every request of the race)."
  echo
  echo "$booking"
} >benches/RESULTS.md
cat benches/RESULTS.md
