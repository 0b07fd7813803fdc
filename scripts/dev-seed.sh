#!/usr/bin/env bash
# Configures the demo event of the curl walk-through once the service is up.
# `make run` starts it in the background just before the server; it can also be run by hand
# against any running instance:
#
#   scripts/dev-seed.sh
#
# Waits for GET /health/ready, then PUT /api/v1/waitroom/admin/events/$EVENT_ID with x-api-key.
# Settings (environment):
#   WAITROOM_URL               base URL            (default http://127.0.0.1:${PORT:-8080})
#   ADMIN_API_KEY              admin key           (default: the dev key in .stack/admin-api-key)
#   EVENT_ID                   event to configure  (default concert-2024)
#   CAPACITY                   sessions in checkout at once            (default 100)
#   ADMISSION_RATE_PER_MINUTE  admissions per minute, or "null" for no rate limit (default 600)
#   CHECKOUT_TIMEOUT_SECONDS   checkout window     (default 600)
#   EVENT_STATE                open|paused|closed  (default open)
#   CHECKOUT_URL               where the waiting page sends admitted people (default: none, the page shows the token)
#   ANNOUNCE_PAGES             1: print the waiting page and dashboard URLs once the event is configured
#   READY_TIMEOUT_SECONDS      how long to wait for readiness          (default 60)
#   WAIT_FOR_PID               stop waiting (quietly) once this process is gone: `make run` passes the
#                              server's, so Ctrl-C on the server does not leave the seed waiting
# Exits non-zero, with one clear line, if the service never becomes ready or refuses the call.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
command -v curl >/dev/null 2>&1 || die "curl is not installed"

WAITROOM_URL="${WAITROOM_URL:-http://127.0.0.1:${PORT:-8080}}"
WAITROOM_URL="${WAITROOM_URL%/}"
EVENT_ID="${EVENT_ID:-concert-2024}"
CAPACITY="${CAPACITY:-100}"
ADMISSION_RATE_PER_MINUTE="${ADMISSION_RATE_PER_MINUTE:-600}"
CHECKOUT_TIMEOUT_SECONDS="${CHECKOUT_TIMEOUT_SECONDS:-600}"
EVENT_STATE="${EVENT_STATE:-open}"
CHECKOUT_URL="${CHECKOUT_URL:-}"
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-60}"

if [[ -z "${ADMIN_API_KEY:-}" && -s "$STACK_DIR/admin-api-key" ]]; then
  ADMIN_API_KEY="$(<"$STACK_DIR/admin-api-key")"
fi
[[ -n "${ADMIN_API_KEY:-}" ]] || die "ADMIN_API_KEY is not set and $STACK_DIR/admin-api-key does not exist (make run creates it)"

# Validate here so a typo gives a clear message instead of a 400 (or a broken URL).
[[ "$EVENT_ID" =~ ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$ ]] || die "EVENT_ID '$EVENT_ID' is not a valid event id"
[[ "$CAPACITY" =~ ^[0-9]+$ ]] || die "CAPACITY must be an integer >= 1"
[[ "$CHECKOUT_TIMEOUT_SECONDS" =~ ^[0-9]+$ ]] || die "CHECKOUT_TIMEOUT_SECONDS must be an integer >= 10"
[[ "$READY_TIMEOUT_SECONDS" =~ ^[0-9]+$ ]] || die "READY_TIMEOUT_SECONDS must be an integer"
case "$ADMISSION_RATE_PER_MINUTE" in
  null | "") rate_json=null ;;
  *) [[ "$ADMISSION_RATE_PER_MINUTE" =~ ^[0-9]+$ ]] || die "ADMISSION_RATE_PER_MINUTE must be an integer >= 1 or null"
     rate_json="$ADMISSION_RATE_PER_MINUTE" ;;
esac
case "$EVENT_STATE" in open | paused | closed) ;; *) die "EVENT_STATE must be open, paused or closed" ;; esac

# ---------------------------------------------------------------- wait for readiness
deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
until curl -fsS -o /dev/null --max-time 2 "$WAITROOM_URL/health/ready" 2>/dev/null; do
  if [[ -n "${WAIT_FOR_PID:-}" ]] && ! kill -0 "$WAIT_FOR_PID" 2>/dev/null; then
    log "the server (pid $WAIT_FOR_PID) has exited; event $EVENT_ID not configured"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    die "the service at $WAITROOM_URL did not become ready within ${READY_TIMEOUT_SECONDS}s (GET /health/ready); event $EVENT_ID NOT configured"
  fi
  sleep 1
done

# ---------------------------------------------------------------- configure the event
[[ -z "$CHECKOUT_URL" || "$CHECKOUT_URL" =~ ^https?://[^\"[:space:]]+$ ]] || die "CHECKOUT_URL must be an http(s) URL"
checkout_json=null
[[ -n "$CHECKOUT_URL" ]] && checkout_json="\"$CHECKOUT_URL\""
body="$(printf '{"capacity":%s,"admission_rate_per_minute":%s,"checkout_timeout_seconds":%s,"state":"%s","checkout_url":%s}' \
  "$CAPACITY" "$rate_json" "$CHECKOUT_TIMEOUT_SECONDS" "$EVENT_STATE" "$checkout_json")"
response="$(mktemp)"
trap 'rm -f "$response"' EXIT
# The key goes through a header file on stdin, so it never shows up in `ps`.
status="$(printf 'x-api-key: %s\n' "$ADMIN_API_KEY" | curl -sS -o "$response" -w '%{http_code}' --max-time 10 \
  -X PUT "$WAITROOM_URL/api/v1/waitroom/admin/events/$EVENT_ID" \
  -H 'content-type: application/json' -H @- --data "$body")" \
  || die "PUT $WAITROOM_URL/api/v1/waitroom/admin/events/$EVENT_ID failed (connection error)"

case "$status" in
  200 | 201)
    log "event $EVENT_ID $([[ $status == 201 ]] && echo created || echo updated): $(cat "$response")"
    log "try: curl -s -X POST $WAITROOM_URL/api/v1/waitroom/join -H 'content-type: application/json' -d '{\"user_id\":\"user-001\",\"event_id\":\"$EVENT_ID\"}'"
    if [[ "${ANNOUNCE_PAGES:-}" == 1 ]]; then
      printf '\n==============================================================\n' >&2
      printf '  Waiting page:  %s/waitroom/%s\n' "$WAITROOM_URL" "$EVENT_ID" >&2
      printf '  Dashboard:     %s/admin/dashboard/%s   (asks for the admin key)\n' "$WAITROOM_URL" "$EVENT_ID" >&2
      [[ -n "$CHECKOUT_URL" ]] && printf '  Checkout page: %s (the simulator; admitted people land here)\n' "$CHECKOUT_URL" >&2
      printf '  A crowd for the charts: make demo   (in another terminal)\n' >&2
      printf '==============================================================\n\n' >&2
    fi
    ;;
  401) die "PUT admin/events/$EVENT_ID answered 401: ADMIN_API_KEY does not match the server's" ;;
  *) die "PUT admin/events/$EVENT_ID answered $status: $(cat "$response")" ;;
esac
