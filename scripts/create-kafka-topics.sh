#!/usr/bin/env bash
# Creates the contract's topics if they are absent (idempotent), with the
# partition counts of shared CONTRACT.md and 7 days of retention, plus a
# dead-letter topic for each consumed topic.
#   REPLICATION_FACTOR (default 1) for a real cluster; MIN_INSYNC_REPLICAS (default: the
#   broker's, 1) sets the topics' min.insync.replicas, e.g. 2 with a replication factor of 3
#   (scripts/kafka-cluster.sh topics).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RF="${REPLICATION_FACTOR:-1}"
RETENTION_MS=604800000
TOPIC_CONFIGS=(--config "retention.ms=$RETENTION_MS")
if [[ -n "${MIN_INSYNC_REPLICAS:-}" ]]; then TOPIC_CONFIGS+=(--config "min.insync.replicas=$MIN_INSYNC_REPLICAS"); fi

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
    --partitions "$partitions" --replication-factor "$RF" "${TOPIC_CONFIGS[@]}" >/dev/null &
  pids+=($!)
  echo "[topics] creating $topic ($partitions partitions, rf $RF${MIN_INSYNC_REPLICAS:+, min.insync.replicas $MIN_INSYNC_REPLICAS})" >&2
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[[ $status -eq 0 ]] || { echo "[topics] creating some topics failed" >&2; exit 1; }
echo "[topics] all ${#TOPICS[@]} topics present" >&2
