#!/usr/bin/env bash
# The whole dev loop in one terminal (make run): the waitroom in the foreground, the checkout
# simulator beside it, and the demo event concert-2024 configured with the simulator's checkout
# page, so a person who joins on the waiting page flows to `completed` with no manual step.
# Ctrl-C (or the service exiting) stops the simulator too.
#
# Reads (all set by the Makefile's run target): PORT, SIMULATOR_PORT, STACK_REDIS, STACK_REDIS_PORT,
# KAFKA_PORT, ADMIN_API_KEY, JOIN_RATE_LIMIT_PER_MINUTE, LOG_LEVEL, EVENT_ID, CHECKOUT_DELAY_MS,
# CHECKOUT_FAILURE_RATE.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$ROOT"
redis_stack_settings

PORT="${PORT:-8080}"
SIMULATOR_PORT="${SIMULATOR_PORT:-8081}"
EVENT_ID="${EVENT_ID:-concert-2024}"
WAITROOM_URL="http://127.0.0.1:$PORT"
KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
: "${ADMIN_API_KEY:?ADMIN_API_KEY must be set (make run sets it)}"

# The Redis that scripts/stack.sh runs for this STACK_REDIS: one server, or the Sentinels that know
# the master now (the service follows a failover through them).
if [[ "$STACK_REDIS" == sentinel ]]; then
  redis_env=(REDIS_SENTINELS="$(sentinel_addresses)" REDIS_SENTINEL_MASTER="$SENTINEL_MASTER")
else
  redis_env=(REDIS_URL="redis://127.0.0.1:$REDIS_PORT")
fi

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$SIMULATOR_PORT" HOST=127.0.0.1 WAITROOM_URL="$WAITROOM_URL" KAFKA_BROKERS="$KAFKA_BROKERS" \
  SIMULATED_EVENTS="$EVENT_ID" CHECKOUT_DELAY_MS="${CHECKOUT_DELAY_MS:-2000-8000}" \
  CHECKOUT_FAILURE_RATE="${CHECKOUT_FAILURE_RATE:-0.1}" LOG_LEVEL="${LOG_LEVEL:-log}" \
  node dist/apps/checkout-simulator/apps/checkout-simulator/src/main.js > >(sed -u 's/^/[simulator] /') 2>&1 &
children+=($!)

WAIT_FOR_PID=$$ WAITROOM_URL="$WAITROOM_URL" EVENT_ID="$EVENT_ID" CAPACITY="${CAPACITY:-100}" \
  ADMISSION_RATE_PER_MINUTE="${ADMISSION_RATE_PER_MINUTE:-600}" CHECKOUT_TIMEOUT_SECONDS="${CHECKOUT_TIMEOUT_SECONDS:-600}" \
  CHECKOUT_URL="http://127.0.0.1:$SIMULATOR_PORT/checkout" ANNOUNCE_PAGES=1 \
  "$ROOT/scripts/dev-seed.sh" &
children+=($!)

# As `npm start` runs it (same node flags), but as a direct child, so stopping it is one kill.
env "${redis_env[@]}" NODE_ENV=development KAFKA_BROKERS="$KAFKA_BROKERS" \
  LOG_FORMAT=text node --max-semi-space-size=32 dist/apps/waitroom/apps/waitroom/src/main.js &
children+=($!)
# The service's exit (or Ctrl-C) ends the script; the EXIT trap stops the rest.
wait "${children[-1]}"
