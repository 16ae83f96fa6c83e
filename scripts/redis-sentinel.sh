#!/usr/bin/env bash
# Starts or stops a private Sentinel setup on loopback: one master, two
# replicas and three sentinels watching service NAME (default `rp-master`,
# quorum 2), recorded in a state directory. Stopping is by pid, never by name.
#   scripts/redis-sentinel.sh start DIR   -> prints "master r1 r2 s1 s2 s3" ports
#   scripts/redis-sentinel.sh stop DIR
#   scripts/redis-sentinel.sh restart-node DIR PORT  (a data node killed by a test;
#                                                    it rejoins as a replica)
# Sentinels call a master down after 1 s and fail over within a few seconds.
set -euo pipefail
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
# shellcheck source=scripts/lib/nodes.sh
. "$(dirname "$0")/lib/nodes.sh"
service=${SENTINEL_SERVICE:-rp-master}

free_port() {
  php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);'
}

start_data() {
  local port=$1 master=${2:-}
  local extra=()
  [ -n "$master" ] && extra=(--replicaof 127.0.0.1 "$master")
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/node-$port.pid" --logfile "$dir/node-$port.log" \
    --dir "$dir" "${extra[@]}" ${REDIS_EXTRA_ARGS:-}
  wait_ping "$port"
}

start_sentinel() {
  local port=$1 master=$2
  cat >"$dir/sentinel-$port.conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
pidfile $dir/node-$port.pid
logfile $dir/node-$port.log
dir $dir
sentinel monitor $service 127.0.0.1 $master 2
sentinel down-after-milliseconds $service 1000
sentinel failover-timeout $service 4000
sentinel parallel-syncs $service 2
CONF
  redis-server "$dir/sentinel-$port.conf" --sentinel
  wait_ping "$port"
}

stop_all() {
  kill_nodes
  rm -f "$dir"/sentinel-*.conf "$dir/ports"
}

ready() {
  local s
  read -r m r1 r2 s1 s2 s3 <"$dir/ports"
  for s in $s1 $s2 $s3; do
    redis-cli -p "$s" sentinel master "$service" 2>/dev/null | grep -qx 'num-other-sentinels' || return 1
    [ "$(redis-cli -p "$s" sentinel master "$service" | sed -n '/^num-other-sentinels$/{n;p}')" = 2 ] || return 1
    [ "$(redis-cli -p "$s" sentinel master "$service" | sed -n '/^num-slaves$/{n;p}')" = 2 ] || return 1
  done
  for s in $r1 $r2; do
    redis-cli -p "$s" info replication | grep -q 'master_link_status:up' || return 1
  done
}

case "$action" in
  start)
    stop_all
    ports=()
    while [ ${#ports[@]} -lt 6 ]; do
      p=$(free_port)
      [[ " ${ports[*]:-} " == *" $p "* ]] || ports+=("$p")
    done
    start_data "${ports[0]}"
    start_data "${ports[1]}" "${ports[0]}"
    start_data "${ports[2]}" "${ports[0]}"
    for i in 3 4 5; do start_sentinel "${ports[$i]}" "${ports[0]}"; done
    echo "${ports[*]}" >"$dir/ports"
    for _ in $(seq 300); do ready && break; sleep 0.1; done
    ready || { echo "sentinels did not converge" >&2; stop_all; exit 1; }
    cat "$dir/ports"
    ;;
  restart-node)
    # The sentinels reconfigure a returning old master as a replica.
    start_data "$3"
    ;;
  stop)
    stop_all
    ;;
  *) echo "usage: $0 start|stop DIR | restart-node DIR PORT" >&2; exit 2 ;;
esac
