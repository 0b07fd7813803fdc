#!/usr/bin/env bash
# A 3-broker Kafka cluster on loopback (KRaft, each node broker and controller), from the same Maven
# jars as the dev stack (scripts/stack.sh fetches them), on ports and in a folder of its own: the
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

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_DIR="${WAITROOM_KAFKA_CLUSTER_DIR:-${WAITROOM_STACK_DIR:-$ROOT/.stack}/kafka-cluster}"
CACHE_DIR="${WAITROOM_CACHE_DIR:-$HOME/.cache/waitroom}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
BASE_PORT="${KAFKA_CLUSTER_BASE_PORT:-9290}"
CONTROLLER_BASE_PORT="${KAFKA_CLUSTER_CONTROLLER_BASE_PORT:-9390}"
HEAP="${KAFKA_CLUSTER_HEAP:-256m}"
NODES=(1 2 3)

log() { printf '[kafka-cluster] %s\n' "$*" >&2; }
die() { printf '[kafka-cluster] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_file() { echo "$CLUSTER_DIR/node-$1.pid"; }
node_alive() { [[ -f "$(pid_file "$1")" ]] && kill -0 "$(cat "$(pid_file "$1")")" 2>/dev/null; }
broker_port() { echo $((BASE_PORT + $1)); }
controller_port() { echo $((CONTROLLER_BASE_PORT + $1)); }
node_log() { echo "$CLUSTER_DIR/logs/node-$1.log"; }

bootstrap() {
  local list=() n
  for n in "${NODES[@]}"; do list+=("127.0.0.1:$(broker_port "$n")"); done
  (IFS=,; echo "${list[*]}")
}

check_node() { [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"; }

# The jars: fetched once by scripts/stack.sh (kafka-tool runs a class, after fetching if needed).
ensure_jars() {
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] && return 0
  "$ROOT/scripts/stack.sh" kafka-tool kafka.tools.StorageTool random-uuid >/dev/null
}

write_properties() {
  local n="$1" voters=() m
  for m in "${NODES[@]}"; do voters+=("$m@127.0.0.1:$(controller_port "$m")"); done
  mkdir -p "$CLUSTER_DIR/node-$n"
  cat >"$CLUSTER_DIR/node-$n/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(IFS=,; echo "${voters[*]}")
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$CLUSTER_DIR/node-$n/data
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
# A killed node is noticed within seconds, not the default 18 s (broker session) / 30 s (ISR lag).
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
PROPS
}

start_node() {
  local n="$1"
  if node_alive "$n"; then log "node $n already up on $(broker_port "$n")"; return 0; fi
  port_open "$(broker_port "$n")" && die "port $(broker_port "$n") is taken by something this script did not start"
  port_open "$(controller_port "$n")" && die "port $(controller_port "$n") is taken by something this script did not start"
  write_properties "$n"
  : >>"$(node_log "$n")"
  # Lines before this mark belong to earlier runs; readiness is read after it.
  wc -l <"$(node_log "$n")" >"$CLUSTER_DIR/node-$n.logstart"
  nohup java "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$CLUSTER_DIR/node-$n/server.properties" >>"$(node_log "$n")" 2>&1 &
  echo $! >"$(pid_file "$n")"
}

wait_for_node() {
  local n="$1" from
  from="$(cat "$CLUSTER_DIR/node-$n.logstart" 2>/dev/null || echo 0)"
  for _ in $(seq 1 240); do
    node_alive "$n" || die "node $n exited during start; see $(node_log "$n")"
    if port_open "$(broker_port "$n")" && tail -n +"$((from + 1))" "$(node_log "$n")" | grep -q "Kafka Server started"; then
      return 0
    fi
    sleep 0.25
  done
  die "node $n did not start within 60 s; see $(node_log "$n")"
}

cmd_up() {
  ensure_jars
  mkdir -p "$CLUSTER_DIR/logs"
  local n cluster_id pids=()
  if [[ ! -f "$CLUSTER_DIR/node-1/data/meta.properties" ]]; then
    cluster_id="$("$ROOT/scripts/stack.sh" kafka-tool kafka.tools.StorageTool random-uuid | tail -n1)"
    for n in "${NODES[@]}"; do
      write_properties "$n"
      "$ROOT/scripts/stack.sh" kafka-tool kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$CLUSTER_DIR/node-$n/server.properties" >>"$(node_log "$n")" 2>&1 &
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
  if node_alive "$n"; then
    pid="$(cat "$(pid_file "$n")")"
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; sleep 0.5; fi
    for _ in $(seq 1 100); do port_open "$(broker_port "$n")" || break; sleep 0.1; done
    log "node $n stopped (SIG$signal, pid $pid)"
  fi
  rm -f "$(pid_file "$n")"
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
  start) check_node "${2:-}"; ensure_jars; start_node "$2"; wait_for_node "$2"; log "node $2 up on $(broker_port "$2")" ;;
  *) echo "usage: $0 up|down|purge|status|topics|kill <n>|start <n>|brokers" >&2; exit 2 ;;
esac
