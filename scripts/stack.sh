#!/usr/bin/env bash
# The local dev/test stack: Kafka (KRaft, single node) and Redis.
#
#   scripts/stack.sh up | down | status | logs [kafka|redis] | kafka-tool <ToolClass> [args...]
#
# With a Docker engine it drives docker-compose.yml. Without one it runs the real
# thing from the OS and Maven Central: redis-server on a port of the project's own
# (never the shared 6379) and Apache Kafka's own jars, fetched once with Maven.
# Everything it starts lives under .stack/ (data, logs, pid files); `down` stops only that.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it (it brings lib/common.sh)
source "$(dirname "${BASH_SOURCE[0]}")/lib/kafka.sh"
compose() { docker compose -f "$ROOT/docker-compose.yml" "$@"; }

LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"

# ---------------------------------------------------------------- Redis
ensure_redis_binary() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    log "redis-server missing: installing the Debian package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    die "redis-server is not installed (apt-get install redis-server, or run with Docker)"
  fi
}

# Persistence (AOF, appendfsync everysec) comes from deploy/redis/redis.conf, the file docker-compose.yml
# uses too; where it listens and writes is given here. The data dir keeps the AOF across down/up.
REDIS_CONF="$ROOT/deploy/redis/redis.conf"
REDIS_PORT="${STACK_REDIS_PORT:-6390}"

# Every Redis process this script may run, by name (its pid file, log file and folder under run/).
instance_port() {
  case "$1" in
    redis) echo "$REDIS_PORT" ;;
    *) die "no Redis instance named '$1'" ;;
  esac
}

# Bounded: a stopped (SIGSTOP) server accepts the connection and never answers.
rcli() {
  local port="$1"
  shift
  timeout 5 redis-cli -p "$port" "$@"
}

redis_ping() { [[ "$(timeout 2 redis-cli -p "$1" ping 2>/dev/null)" == "PONG" ]]; }

# PONG, not just an answer: while it loads a large AOF, Redis answers -LOADING.
wait_for_ping() {
  local deadline=$((SECONDS + $2))
  until redis_ping "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# True when instance $1 runs and answers PING (waiting while it loads its data). A pid file alone
# is no proof: its process may be gone or a zombie, and then the stale pid file goes.
redis_already_up() {
  local name="$1" port
  port="$(instance_port "$name")"
  if pidfile_running "$RUN_DIR/$name.pid"; then
    wait_for_ping "$port" 60 \
      || die "$name (pid $(cat "$RUN_DIR/$name.pid")) runs but does not answer PING on $port; see $LOG_DIR/$name.log"
    return 0
  fi
  rm -f "$RUN_DIR/$name.pid"
  return 1
}

# Starts instance $1 from configuration file $2 (more redis-server arguments after it) and waits for PONG.
redis_start() {
  local name="$1" conf="$2" port
  shift 2
  port="$(instance_port "$name")"
  port_open "$port" && die "port $port is taken by something this script did not start (set STACK_REDIS_PORT)"
  mkdir -p "$RUN_DIR/$name" "$LOG_DIR"
  redis-server "$conf" "$@" --daemonize yes --bind 127.0.0.1 --port "$port" \
    --dir "$RUN_DIR/$name" --pidfile "$RUN_DIR/$name.pid" --logfile "$LOG_DIR/$name.log"
  wait_for_ping "$port" 60 || die "$name did not answer on $port within 60s; see $LOG_DIR/$name.log"
}

# Turns AOF on in a running server without losing its data (CONFIG SET rewrites the dataset into a new AOF).
redis_enable_aof_live() {
  local port="$1" info
  rcli "$port" config set appendfsync everysec >/dev/null
  rcli "$port" config set appendonly yes >/dev/null
  # Until that first rewrite is done the AOF holds nothing and Redis refuses to shut down: wait for it.
  for _ in $(seq 1 600); do
    info="$(rcli "$port" info persistence 2>/dev/null | tr -d '\r')"
    if grep -qx 'aof_rewrite_in_progress:0' <<<"$info" && grep -qx 'aof_rewrite_scheduled:0' <<<"$info"; then return 0; fi
    sleep 0.1
  done
  die "redis on $port did not finish writing its first AOF within 60s; see $LOG_DIR"
}

# Redis instance $1 up from configuration file $2, more redis-server arguments after it.
redis_node_up() {
  local name="$1" conf="$2" port
  shift 2
  ensure_redis_binary
  port="$(instance_port "$name")"
  if redis_already_up "$name"; then
    # A Redis started by an older version of this script runs without persistence: switch it on in place
    # (no restart, its data and clients stay); `restart-redis` makes it run from the file itself.
    if [[ "$(rcli "$port" config get appendonly 2>/dev/null | tail -n1)" == "no" ]]; then
      redis_enable_aof_live "$port"
      log "$name on $port ran without persistence: AOF switched on in place (scripts/stack.sh restart-redis to run from $REDIS_CONF)"
    fi
    log "$name already up on $port"
    return 0
  fi
  # A data dir from the old script has no AOF; if it has an RDB snapshot, Redis started with AOF on would
  # ignore it and start empty. So load the snapshot first, then switch AOF on, which writes it into the AOF.
  local migrate=()
  if [[ -f "$RUN_DIR/$name/dump.rdb" && ! -d "$RUN_DIR/$name/appendonlydir" ]]; then migrate=(--appendonly no); fi
  redis_start "$name" "$conf" "$@" "${migrate[@]}"
  ((${#migrate[@]} == 0)) || { redis_enable_aof_live "$port"; log "$name: loaded the old dump.rdb and switched AOF on"; }
  log "$name up on 127.0.0.1:$port (AOF, appendfsync everysec; data in $RUN_DIR/$name)"
}

redis_stop() {
  local name="$1"
  pidfile_running "$RUN_DIR/$name.pid" || { rm -f "$RUN_DIR/$name.pid"; return 0; }
  # SHUTDOWN flushes and fsyncs the AOF (NOSAVE only skips an RDB snapshot), so down/up keeps the data.
  # A server that does not take it gets SIGTERM, then SIGKILL.
  rcli "$(instance_port "$name")" shutdown nosave >/dev/null 2>&1 || true
  stop_pidfile "$RUN_DIR/$name.pid" TERM 10 >/dev/null
  log "$name stopped"
}

# A crash, not a stop (failover drills): SIGKILL, so nothing is flushed beyond what appendfsync wrote.
redis_kill() {
  local name="$1" pid
  pid="$(stop_pidfile "$RUN_DIR/$name.pid" KILL 10 "$(instance_port "$name")")"
  [[ -z "$pid" ]] || log "$name SIGKILLed (pid $pid)"
}

redis_up() { redis_node_up redis "$REDIS_CONF"; }

redis_status() {
  if pidfile_running "$RUN_DIR/redis.pid" && redis_ping "$REDIS_PORT"; then
    echo "redis: up (127.0.0.1:$REDIS_PORT, pid $(cat "$RUN_DIR/redis.pid"))"
  else
    echo "redis: down"
  fi
}

# ---------------------------------------------------------------- Kafka (jars)
kafka_up() {
  # Up means serving: a broker still starting is waited for, a dead or zombie one is not up.
  if pidfile_running "$RUN_DIR/kafka.pid"; then
    kafka_wait_started "$RUN_DIR/kafka.pid" "$KAFKA_PORT" "$LOG_DIR/kafka.log" kafka
    log "kafka already up on $KAFKA_PORT"
    return 0
  fi
  rm -f "$RUN_DIR/kafka.pid"
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by something this script did not start (set KAFKA_PORT)"
  fetch_kafka_jars
  mkdir -p "$RUN_DIR/kafka" "$LOG_DIR"
  # Single node: Kafka's internal topics have one replica. docker-compose.yml's kafka service mirrors this.
  kafka_properties 1 "1@127.0.0.1:$KAFKA_CONTROLLER_PORT" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" \
    "$RUN_DIR/kafka/data" 1 1 >"$RUN_DIR/kafka/server.properties"
  if [[ ! -f "$RUN_DIR/kafka/data/meta.properties" ]]; then
    kafka_format "$(kafka_java kafka.tools.StorageTool random-uuid | tail -n1)" \
      "$RUN_DIR/kafka/server.properties" "$LOG_DIR/kafka.log" \
      || die "formatting Kafka storage failed; see $LOG_DIR/kafka.log"
  fi
  # The broker: 512 MB heap is plenty for a dev broker with a handful of topics, and CI has 2 cores.
  kafka_start "$RUN_DIR/kafka.pid" "$RUN_DIR/kafka/server.properties" "$LOG_DIR/kafka.log" \
    -Xms256m -Xmx512m -XX:+UseG1GC
  kafka_wait_started "$RUN_DIR/kafka.pid" "$KAFKA_PORT" "$LOG_DIR/kafka.log" kafka
  log "kafka $KAFKA_VERSION up on 127.0.0.1:$KAFKA_PORT (KRaft, single node)"
}

kafka_down() {
  local pid
  pid="$(stop_pidfile "$RUN_DIR/kafka.pid" TERM 30)"
  [[ -z "$pid" ]] || log "kafka stopped"
}

# A crash, not a stop: SIGKILL, so the broker flushes nothing and its next start recovers its logs
# as after a power cut of the process (fault drills: test/faults/kafka-kill.test.ts).
kafka_kill() {
  local pid
  pid="$(stop_pidfile "$RUN_DIR/kafka.pid" KILL 10 "$KAFKA_PORT")"
  [[ -z "$pid" ]] || log "kafka SIGKILLed (pid $pid)"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  if docker_mode; then
    compose up -d --wait kafka redis
  else
    redis_up
    kafka_up
  fi
  KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}" "$ROOT/scripts/create-kafka-topics.sh"
}

cmd_down() {
  if docker_mode; then compose down; return; fi
  kafka_down
  redis_stop redis
}

cmd_status() {
  if docker_mode; then compose ps; return; fi
  redis_status
  if pidfile_running "$RUN_DIR/kafka.pid" && port_open "$KAFKA_PORT"; then
    echo "kafka: up (127.0.0.1:$KAFKA_PORT, pid $(cat "$RUN_DIR/kafka.pid"))"
  else
    echo "kafka: down"
  fi
}

cmd_logs() {
  if docker_mode; then compose logs "${1:-}"; return; fi
  case "${1:-kafka}" in
    kafka | redis) tail -n 200 "$LOG_DIR/${1:-kafka}.log" ;;
    *) die "logs: kafka or redis" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  # Outage drills (the fault tests use these): stop (SIGTERM, graceful), kill (SIGKILL) or start the broker alone.
  stop-kafka) if docker_mode; then compose stop kafka; else kafka_down; fi ;;
  start-kafka) if docker_mode; then compose up -d --wait kafka; else kafka_up; fi ;;
  kill-kafka) if docker_mode; then compose kill -s SIGKILL kafka; else kafka_kill; fi ;;
  # Redis alone, e.g. to run it from deploy/redis/redis.conf after a config change: a clean stop keeps the data (AOF);
  # kill-redis is a crash (SIGKILL).
  stop-redis) if docker_mode; then compose stop redis; else redis_stop redis; fi ;;
  kill-redis) if docker_mode; then compose kill -s SIGKILL redis; else redis_kill redis; fi ;;
  start-redis) if docker_mode; then compose up -d --wait redis; else redis_up; fi ;;
  restart-redis)
    if docker_mode; then compose up -d --wait --force-recreate redis; else redis_stop redis; redis_up; fi ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kafka-tool) shift; kafka_tool "$@" ;;
  *) echo "usage: $0 up|down|status|logs [kafka|redis]|stop-kafka|start-kafka|kill-kafka|stop-redis|kill-redis|start-redis|restart-redis|kafka-tool <class> [args]" >&2; exit 2 ;;
esac
