#!/usr/bin/env bash
# Creates the contract's topics if they are absent (idempotent), with the
# partition counts of shared CONTRACT.md and 7 days of retention, plus a
# dead-letter topic for each consumed topic.
#   REPLICATION_FACTOR (default 1) for a real cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RF="${REPLICATION_FACTOR:-1}"
RETENTION_MS=604800000

# topic:partitions -- keep in step with libs/contracts/src/topics.ts (a unit test checks it).
TOPICS=(
  QUEUE_JOINED:5
  QUEUE_LEFT:5
  QUEUE_READY:10
  CHECKOUT_COMPLETED:10
  CHECKOUT_FAILED:10
  CHECKOUT_EXPIRED:10
  CHECKOUT_COMPLETED.DLQ:1
  CHECKOUT_FAILED.DLQ:1
  CHECKOUT_EXPIRED.DLQ:1
)

existing="$("$ROOT/scripts/kafka-cli.sh" topics --list 2>/dev/null || true)"
pids=()
for entry in "${TOPICS[@]}"; do
  topic="${entry%%:*}"; partitions="${entry##*:}"
  if grep -qx "$topic" <<<"$existing"; then continue; fi
  # One JVM per topic is slow; run them side by side.
  "$ROOT/scripts/kafka-cli.sh" topics --create --if-not-exists --topic "$topic" \
    --partitions "$partitions" --replication-factor "$RF" --config "retention.ms=$RETENTION_MS" >/dev/null &
  pids+=($!)
  echo "[topics] creating $topic ($partitions partitions, rf $RF)" >&2
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[[ $status -eq 0 ]] || { echo "[topics] creating some topics failed" >&2; exit 1; }
echo "[topics] all ${#TOPICS[@]} topics present" >&2
