#!/usr/bin/env bash
# Installs what building, testing, benchmarking and the demo need, from
# Debian's package registry. Idempotent and quiet: only missing packages are
# installed, and a machine that has them all costs one dpkg-query.
set -euo pipefail

packages=(
  php8.2-dev php8.2-cli php8.2-fpm php8.2-xml php8.2-mbstring
  libclang-dev clang
  redis-server redis-tools
  php-redis phpunit php-codesniffer hyperfine openssl
  mariadb-server php8.2-mysql php8.2-curl nginx-light wordpress wordpress-theme-twentytwentyone wordpress-theme-twentytwentythree wrk curl
  chromium chromium-driver python3-selenium
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The project runs its own MariaDB, php-fpm, nginx and Redis on private
  # loopback ports; the packages' system services must not start (and take
  # port 80/3306/6379) as a side effect of installing them.
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq
  status=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/redis-persona-apt.log 2>&1 || status=$?
  [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
  if ((status)); then tail -n 30 /tmp/redis-persona-apt.log; exit 1; fi
fi

for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    rustup component add "$component" >/dev/null
  fi
done
