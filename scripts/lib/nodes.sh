# Shared by scripts/redis-cluster.sh and scripts/redis-sentinel.sh: their
# nodes write node-PORT.pid into the state directory $dir.

# Waits until a server answers PING on port $1 (10 s at most).
wait_ping() {
  for _ in $(seq 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "port $1 did not answer" >&2
  return 1
}

# Kills every node of $dir by pid (never by name), paused ones included.
kill_nodes() {
  local pidfile pid
  for pidfile in "$dir"/node-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -CONT "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}
