#!/usr/bin/env bash
# Installs the release build into PHP's extension directory and enables it
# for every SAPI (CLI and FPM) through Debian's mods-available/phpenmod.
set -euo pipefail
cd "$(dirname "$0")/.."

so=target/release/libredis_persona.so
[ -f "$so" ] || { echo "install: $so is missing; run make build" >&2; exit 1; }
ext_dir=$(php-config8.2 --extension-dir)
install -m 0644 "$so" "$ext_dir/redis_persona.so"

ini=/etc/php/8.2/mods-available/redis_persona.ini
cat >"$ini" <<'INI'
; redis-persona: persona content cache, slot locks, OTP and rate limiting on Redis.
; priority=30
extension=redis_persona.so
; Every setting: 0 or empty means the built-in default (see README.md).
;redis_persona.url = redis://127.0.0.1:6379
;redis_persona.prefix = rp
;redis_persona.connect_timeout_ms = 0
;redis_persona.read_timeout_ms = 0
;redis_persona.pool_size = 0
;redis_persona.retry_interval_ms = 0
;redis_persona.log_level = 0
INI
phpenmod -v 8.2 redis_persona
php -m | grep -qx redis_persona || { echo "install: php does not load redis_persona" >&2; exit 1; }
echo "install: $ext_dir/redis_persona.so enabled for $(ls /etc/php/8.2/*/conf.d/*redis_persona.ini | cut -d/ -f5 | tr '\n' ' ')"
