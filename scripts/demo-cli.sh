#!/usr/bin/env bash
# `make demo-cli`: the installed extension against a private redis-server, then
# the same calls while Redis is down and after it comes back.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/demo
port=$(scripts/redis.sh start "$state")
url="redis://127.0.0.1:$port"
trap 'scripts/redis.sh stop "$state"' EXIT

echo "== Redis up on $url"
php examples/demo.php up "$url"
echo
echo "== Redis stopped"
scripts/redis.sh stop "$state"
php examples/demo.php down "$url"
echo
echo "== Redis restarted on the same port"
REDIS_PORT="$port" scripts/redis.sh start "$state" >/dev/null
php examples/demo.php back "$url"
