#!/usr/bin/env bash
# A 3-broker Kafka cluster on loopback (KRaft, each node broker and controller), from the same Maven
# jars as the dev stack (scripts/lib/kafka.sh fetches them once), on ports and in a folder of its own: the
# dev stack's single broker (9092) is never touched. For the fault drill
# test/faults/kafka-cluster.test.ts, and by hand to try replication.
#
#   scripts/kafka-cluster.sh up | down | purge | status | topics | kill <n> | start <n> | brokers
#
#   up       format (first time) and start the 3 nodes; waits until each one serves
#   down     stop all nodes (SIGTERM, SIGKILL after 30 s); data is kept
#   purge    SIGKILL all nodes, then delete the cluster's folder (data and logs)
#   topics   create the contract's topics with replication factor 3 and min.insync.replicas 2
#   kill n   SIGKILL node n (1-3): a crash; `start n` brings it back with its data
#   brokers  print the bootstrap list (KAFKA_BROKERS for the service)
#
# Node n listens on 127.0.0.1:$((KAFKA_CLUSTER_BASE_PORT + n)) (default 9291-9293) and its
# controller on 127.0.0.1:$((KAFKA_CLUSTER_CONTROLLER_BASE_PORT + n)) (default 9391-9393).
# Each JVM gets KAFKA_CLUSTER_HEAP (default 256m): 3 of them fit beside the dev stack on 2 cores.
# Everything lives under $WAITROOM_KAFKA_CLUSTER_DIR (default .stack/kafka-cluster).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it (it brings lib/common.sh)
source "$(dirname "${BASH_SOURCE[0]}")/lib/kafka.sh"

CLUSTER_DIR="${WAITROOM_KAFKA_CLUSTER_DIR:-$STACK_DIR/kafka-cluster}"
BASE_PORT="${KAFKA_CLUSTER_BASE_PORT:-9290}"
CONTROLLER_BASE_PORT="${KAFKA_CLUSTER_CONTROLLER_BASE_PORT:-9390}"
HEAP="${KAFKA_CLUSTER_HEAP:-256m}"
NODES=(1 2 3)

pid_file() { echo "$CLUSTER_DIR/node-$1.pid"; }
# Runs: its process exists and is not a zombie (a SIGKILLed node stays one for a while).
node_alive() { pidfile_running "$(pid_file "$1")"; }
broker_port() { echo $((BASE_PORT + $1)); }
controller_port() { echo $((CONTROLLER_BASE_PORT + $1)); }
node_log() { echo "$CLUSTER_DIR/logs/node-$1.log"; }

bootstrap() {
  local list=() n
  for n in "${NODES[@]}"; do list+=("127.0.0.1:$(broker_port "$n")"); done
  (IFS=,; echo "${list[*]}")
}

check_node() { [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"; }

write_properties() {
  local n="$1" voters=() m
  for m in "${NODES[@]}"; do voters+=("$m@127.0.0.1:$(controller_port "$m")"); done
  mkdir -p "$CLUSTER_DIR/node-$n"
  {
    kafka_properties "$n" "$(IFS=,; echo "${voters[*]}")" "$(broker_port "$n")" "$(controller_port "$n")" \
      "$CLUSTER_DIR/node-$n/data" 3 2
    cat <<PROPS
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
# A killed node is noticed within seconds, not the default 18 s (broker session) / 30 s (ISR lag).
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
PROPS
  } >"$CLUSTER_DIR/node-$n/server.properties"
}

start_node() {
  local n="$1"
  # Running (it serves once the quorum is back: wait_for_node); a dead or zombie one is started anew.
  if node_alive "$n"; then log "node $n already up on $(broker_port "$n")"; return 0; fi
  rm -f "$(pid_file "$n")"
  port_open "$(broker_port "$n")" && die "port $(broker_port "$n") is taken by something this script did not start"
  port_open "$(controller_port "$n")" && die "port $(controller_port "$n") is taken by something this script did not start"
  write_properties "$n"
  kafka_start "$(pid_file "$n")" "$CLUSTER_DIR/node-$n/server.properties" "$(node_log "$n")" \
    "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -XX:TieredStopAtLevel=1
}

wait_for_node() { kafka_wait_started "$(pid_file "$1")" "$(broker_port "$1")" "$(node_log "$1")" "node $1"; }

cmd_up() {
  fetch_kafka_jars
  mkdir -p "$CLUSTER_DIR/logs"
  local n cluster_id pids=()
  if [[ ! -f "$CLUSTER_DIR/node-1/data/meta.properties" ]]; then
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n1)"
    for n in "${NODES[@]}"; do
      write_properties "$n"
      kafka_format "$cluster_id" "$CLUSTER_DIR/node-$n/server.properties" "$(node_log "$n")" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "formatting the nodes' storage failed; see $CLUSTER_DIR/logs"; done
  fi
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_for_node "$n"; done
  log "kafka $KAFKA_VERSION cluster up: $(bootstrap) (3 nodes, KRaft, min.insync.replicas=2)"
}

stop_node() {
  local n="$1" signal="${2:-TERM}" pid
  pid="$(stop_pidfile "$(pid_file "$n")" "$signal" 30 "$(broker_port "$n")")"
  [[ -z "$pid" ]] || log "node $n stopped (SIG$signal, pid $pid)"
}

cmd_down() {
  local n pids=() signal="${1:-TERM}"
  # Side by side: a controller quorum that loses its members one by one makes the last ones wait.
  for n in "${NODES[@]}"; do stop_node "$n" "$signal" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

cmd_status() {
  local n
  for n in "${NODES[@]}"; do
    if node_alive "$n"; then echo "node $n: up (127.0.0.1:$(broker_port "$n"), pid $(cat "$(pid_file "$n")"))"
    else echo "node $n: down"; fi
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  # The data goes anyway: SIGKILL, not a controlled shutdown that waits for the others.
  purge) cmd_down KILL; rm -rf "$CLUSTER_DIR"; log "removed $CLUSTER_DIR" ;;
  status) cmd_status ;;
  brokers) bootstrap ;;
  topics)
    # The contract's topics (scripts/create-kafka-topics.sh), replicated on every node; a write
    # is acknowledged once 2 replicas have it (acks=all), so one node can die without a loss.
    STACK_MODE=jar KAFKA_BROKERS="$(bootstrap)" REPLICATION_FACTOR=3 MIN_INSYNC_REPLICAS=2 \
      "$ROOT/scripts/create-kafka-topics.sh" ;;
  kill) check_node "${2:-}"; stop_node "$2" KILL ;;
  start) check_node "${2:-}"; fetch_kafka_jars; start_node "$2"; wait_for_node "$2"; log "node $2 up on $(broker_port "$2")" ;;
  *) echo "usage: $0 up|down|purge|status|topics|kill <n>|start <n>|brokers" >&2; exit 2 ;;
esac
