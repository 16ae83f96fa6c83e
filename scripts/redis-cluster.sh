#!/usr/bin/env bash
# Starts or stops a private Redis Cluster on loopback: 3 masters and 3
# replicas (`redis-cli --cluster create ... --cluster-replicas 1`), recorded in
# a state directory (one pidfile, config and log per node; `ports` lists the
# six ports, masters first as created). Stopping is by pid, never by name.
#   scripts/redis-cluster.sh start DIR   -> prints the six ports
#   scripts/redis-cluster.sh stop DIR
#   scripts/redis-cluster.sh restart-node DIR PORT   (a node killed by a test)
# A cluster node needs its port and port + 10000 (the cluster bus) free, and
# the port must be <= 55535, so ports are picked from 20000-45000 with both
# checked; a plain free-port helper would pick ports the node refuses.
# Nodes time out after 1 s (cluster-node-timeout), so a killed master is
# replaced within about two seconds: fast enough for tests. A replica may
# always take over (validity factor 0), even one that rejoined a moment ago.
set -euo pipefail
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
# shellcheck source=scripts/lib/nodes.sh
. "$(dirname "$0")/lib/nodes.sh"

free_pair() {
  php -n -r '
    for ($i = 0; $i < 500; $i++) {
        $p = random_int(20000, 45000);
        $a = @stream_socket_server("tcp://127.0.0.1:$p");
        if ($a === false) { continue; }
        $b = @stream_socket_server("tcp://127.0.0.1:" . ($p + 10000));
        fclose($a);
        if ($b === false) { continue; }
        fclose($b);
        echo $p; exit(0);
    }
    exit(1);'
}

start_node() {
  local port=$1
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --cluster-enabled yes --cluster-config-file "$dir/nodes-$port.conf" \
    --cluster-node-timeout "${CLUSTER_NODE_TIMEOUT:-1000}" \
    --cluster-require-full-coverage no --cluster-allow-reads-when-down no \
    --cluster-replica-validity-factor 0 \
    --daemonize yes --pidfile "$dir/node-$port.pid" --logfile "$dir/node-$port.log" \
    --dir "$dir" ${REDIS_EXTRA_ARGS:-}
  wait_ping "$port"
}

all_ok() {
  local port
  for port in $(cat "$dir/ports"); do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || return 1
  done
  # Every node lists every replica to clients (CLUSTER SLOTS leaves out a
  # replica until gossip has reported its first sync).
  for port in $(cat "$dir/ports"); do
    [ "$(redis-cli -p "$port" cluster slots | grep -c '^127\.0\.0\.1$')" = 6 ] || return 1
  done
  # Every replica has finished its first sync, so a failover has data.
  for port in $(cat "$dir/ports"); do
    if redis-cli -p "$port" info replication | grep -q 'role:slave'; then
      redis-cli -p "$port" info replication | grep -q 'master_link_status:up' || return 1
    fi
  done
}

running() {
  [ -f "$dir/ports" ] || return 1
  local port
  for port in $(cat "$dir/ports"); do
    [ -f "$dir/node-$port.pid" ] && kill -0 "$(cat "$dir/node-$port.pid")" 2>/dev/null || return 1
  done
}

stop_all() {
  kill_nodes
  rm -f "$dir"/nodes-*.conf "$dir/ports"
}

case "$action" in
  start)
    if running; then cat "$dir/ports"; exit 0; fi
    stop_all
    ports=()
    while [ ${#ports[@]} -lt 6 ]; do
      p=$(free_pair)
      [[ " ${ports[*]:-} " == *" $p "* ]] && continue
      start_node "$p"
      ports+=("$p")
    done
    echo "${ports[*]}" >"$dir/ports"
    hosts=()
    for p in "${ports[@]}"; do hosts+=("127.0.0.1:$p"); done
    redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
      || { cat "$dir/create.log" >&2; stop_all; exit 1; }
    for _ in $(seq 300); do all_ok && break; sleep 0.1; done
    all_ok || { echo "cluster did not become ready" >&2; stop_all; exit 1; }
    cat "$dir/ports"
    ;;
  restart-node)
    start_node "$3"
    ;;
  stop)
    stop_all
    ;;
  *) echo "usage: $0 start|stop DIR | restart-node DIR PORT" >&2; exit 2 ;;
esac
