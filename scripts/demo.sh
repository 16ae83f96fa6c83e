#!/usr/bin/env bash
# `make demo`: a real WordPress site on loopback showing the whole product,
# on the installed extension: three personas, sample posts whose content
# varies by persona, a booking page using the slot-lock and one-time-code
# routes, and the admin dashboard. Idempotent; the site keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.build/demo-site
site=tests/wp/site.sh

# php-fpm restarts so that it loads the extension just installed.
url=$(RP_EXTENSION=redis_persona.so "$site" start "$state")
RP_PAGE_CACHE=on "$site" wp "$state" tests/wp/site/content.php >"$state/content.env"
# Render every persona of every post now, as "Warm all" does.
"$site" wp "$state" scripts/demo-warm.php
# shellcheck disable=SC1091
source "$state/site.env"
# shellcheck disable=SC1091
source "$state/content.env"

show() { # show PERSONA PATH
  curl -s -o /dev/null -D - -b "rp_persona=$1" "$url$2" | tr -d '\r' | grep -i '^x-redis-persona:' | sed "s|^|  $2 as $1 -> |"
}
page_tier() { # page_tier PERSONA PATH: the page dropped, then a miss (rendered and stored) and a hit
  "$site" wp "$state" scripts/demo-purge.php "$url$2" >/dev/null
  local first second
  first=$(timed "$1" "$2")
  second=$(timed "$1" "$2")
  printf '  %s as %-8s -> %-26s first byte %6s ms, then %-24s %5s ms\n' \
    "$2" "$1" "${first% *}" "${first##* }" "${second% *}" "${second##* }"
}
timed() { # timed PERSONA PATH: "<X-Redis-Persona or the page tier's answer> <ms to first byte>"
  curl -s -o /dev/null -D - -b "rp_persona=$1" -w 'TTFB %{time_starttransfer}\n' "$url$2" | tr -d '\r' | awk '
    tolower($1) == "x-redis-persona:" { served = $2 " " $3 }
    tolower($1) == "x-redis-persona-page:" { tier = $2 }
    $1 == "TTFB" { ms = sprintf("%.1f", $2 * 1000) }
    END { if (served !~ /page-/) served = "page " tier " (" served ")"; print served, ms }'
}
echo
echo "Redis Persona demo is running at $url"
echo
echo "  Admin:     $url/wp-admin/options-general.php?page=redis-persona"
echo "  Login:     $ADMIN_USER / $ADMIN_PASSWORD"
echo "  Posts:     $WELCOME_URL  (switch persona with the links on the page)"
echo "             $SLOW_URL  (a 50 ms shortcode; free on a hit)"
echo "  Booking:   $BOOK_URL  (codes are written to $PWD/$state/mail.log)"
echo "  REST:      $url/wp-json/redis-persona/v1/health"
if [ -f "$state/events.pid" ]; then
  echo "  Live:      $url/rp-events (slot-events relay, pid $(cat "$state/events.pid"); open the booking page twice)"
fi
echo "  Bookings:  $url/wp-admin/tools.php?page=redis-persona-bookings"
echo
echo "What a visitor gets from the full-page tier (X-Redis-Persona header):"
for persona in family solo business; do page_tier "$persona" "${WELCOME_URL#"$url"}"; done
page_tier family "${SLOW_URL#"$url"}"
page_tier family /
echo "A logged-in or query-string request bypasses it; the content tier then answers:"
show family "${WELCOME_URL#"$url"}?preview_persona=1"
echo
echo "Stop it with: tests/wp/site.sh stop $state"
