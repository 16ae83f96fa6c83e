#!/usr/bin/env bash
# End-to-end tests of the WordPress plugin over HTTP against a private site
# (tests/wp/site.sh): the same suite three times: php-fpm loading the
# extension under test on one redis-server, then without the extension (the
# plugin's database fallback), then with it on a Redis Cluster of 3 masters
# and 3 replicas (REDIS_PERSONA_CLUSTER; the same database and content).
# RP_WP_CLUSTER=0 skips the cluster run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state=$root/tests/.run/wp
so=${RP_EXTENSION_UNDER_TEST:-$root/target/release/libredis_persona.so}
site=$root/tests/wp/site.sh
phpunit=(php -n -c "$root/tests/php/php.ini" -d extension=curl /usr/bin/phpunit -c "$root/tests/wp/phpunit.xml")

trap '"$site" stop "$state"' EXIT
# Tests run WP-Cron themselves, so a page view never races a preload.
export RP_DISABLE_CRON=1
RP_EXTENSION=$so "$site" start "$state" >/dev/null
RP_PAGE_CACHE=off "$site" wp "$state" "$root/tests/wp/site/content.php" >"$state/content.env"
: >"$state/wp-debug.log"
rm -f "$state/mail.log" "$state/slow.log" "$state/actions.log"
export RP_WP_STATE=$state

echo "== WordPress end-to-end: extension loaded ($(php -r 'echo PHP_VERSION;'), $(basename "$so"))"
status=0
RP_WP_MODE=redis "${phpunit[@]}" "$@" || status=$?
if [ $# -eq 0 ]; then
  # The real-browser test (headless Chromium through chromium-driver), once:
  # the widget and the live slot stream are the same in both modes.
  echo "== Booking page and admin in a real browser (headless Chromium)"
  /usr/bin/python3 "$root/tests/browser/booking_flow.py" || status=$?
fi

echo "== WordPress end-to-end: extension not loaded (database fallback)"
RP_EXTENSION=none "$site" php "$state"
RP_WP_MODE=fallback "${phpunit[@]}" "$@" || status=$?

if [ "${RP_WP_CLUSTER:-1}" != 0 ]; then
  echo "== WordPress end-to-end: extension loaded, Redis Cluster (3 masters + 3 replicas)"
  started=$SECONDS
  RP_WP_TOPOLOGY=cluster RP_EXTENSION=$so "$site" start "$state" >/dev/null
  RP_WP_MODE=redis "${phpunit[@]}" "$@" || status=$?
  echo "(cluster run: $((SECONDS - started)) s)"
fi
exit $status
