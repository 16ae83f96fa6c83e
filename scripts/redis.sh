#!/usr/bin/env bash
# Starts or stops a private redis-server on a free loopback port, recorded in
# a state directory (pidfile, port, log). Stopping is by pid, never by name.
#   scripts/redis.sh start DIR   -> prints the port
#   REDIS_PORT=N scripts/redis.sh start DIR   (a restart on the port it had)
#   scripts/redis.sh stop DIR
set -euo pipefail
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

running() { [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; }

case "$action" in
  start)
    if running; then cat "$dir/redis.port"; exit 0; fi
    port=${REDIS_PORT:-$(php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);')}
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" ${REDIS_EXTRA_ARGS:-}
    for _ in $(seq 100); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
    echo "$port" >"$dir/redis.port"
    echo "$port"
    ;;
  stop)
    if running; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
    rm -f "$dir/redis.pid"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
