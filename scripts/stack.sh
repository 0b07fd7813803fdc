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

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${WAITROOM_STACK_DIR:-$ROOT/.stack}"
CACHE_DIR="${WAITROOM_CACHE_DIR:-$HOME/.cache/waitroom}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
REDIS_PORT="${STACK_REDIS_PORT:-6390}"
LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

docker_mode() {
  [[ "${STACK_MODE:-auto}" == "jar" ]] && return 1
  [[ "${STACK_MODE:-auto}" == "docker" ]] && return 0
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

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

redis_ping() { [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; }

# Turns AOF on in a running server without losing its data (CONFIG SET rewrites the dataset into a new AOF).
redis_enable_aof_live() {
  redis-cli -p "$REDIS_PORT" config set appendfsync everysec >/dev/null
  redis-cli -p "$REDIS_PORT" config set appendonly yes >/dev/null
  # Until that first rewrite is done the AOF holds nothing and Redis refuses to shut down: wait for it.
  local info
  for _ in $(seq 1 600); do
    info="$(redis-cli -p "$REDIS_PORT" info persistence 2>/dev/null | tr -d '\r')"
    if grep -qx 'aof_rewrite_in_progress:0' <<<"$info" && grep -qx 'aof_rewrite_scheduled:0' <<<"$info"; then return 0; fi
    sleep 0.1
  done
  die "redis on $REDIS_PORT did not finish writing its first AOF within 60s; see $LOG_DIR/redis.log"
}

redis_up() {
  ensure_redis_binary
  if pid_alive "$RUN_DIR/redis.pid"; then
    # A Redis started by an older version of this script runs without persistence: switch it on in place
    # (no restart, its data and clients stay); `restart-redis` makes it run from the file itself.
    if [[ "$(redis-cli -p "$REDIS_PORT" config get appendonly 2>/dev/null | tail -n1)" == "no" ]]; then
      redis_enable_aof_live
      log "redis on $REDIS_PORT ran without persistence: AOF switched on in place (scripts/stack.sh restart-redis to run from $REDIS_CONF)"
    fi
    log "redis already up on $REDIS_PORT"; return 0
  fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by something this script did not start (set STACK_REDIS_PORT)"
  mkdir -p "$RUN_DIR/redis" "$LOG_DIR"
  # A data dir from the old script has no AOF; if it has an RDB snapshot, Redis started with AOF on would
  # ignore it and start empty. So load the snapshot first, then switch AOF on, which writes it into the AOF.
  local migrate=()
  if [[ -f "$RUN_DIR/redis/dump.rdb" && ! -d "$RUN_DIR/redis/appendonlydir" ]]; then migrate=(--appendonly no); fi
  redis-server "$REDIS_CONF" --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$RUN_DIR/redis" --pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" "${migrate[@]}"
  # PONG, not just an answer: while it loads a large AOF, Redis answers -LOADING.
  for _ in $(seq 1 600); do
    if redis_ping; then
      ((${#migrate[@]} == 0)) || { redis_enable_aof_live; log "redis: loaded the old dump.rdb and switched AOF on"; }
      log "redis up on 127.0.0.1:$REDIS_PORT (AOF, appendfsync everysec; data in $RUN_DIR/redis)"; return 0
    fi
    sleep 0.1
  done
  die "redis did not answer on $REDIS_PORT within 60s; see $LOG_DIR/redis.log"
}

redis_down() {
  if pid_alive "$RUN_DIR/redis.pid"; then
    # SHUTDOWN flushes and fsyncs the AOF (NOSAVE only skips an RDB snapshot), so down/up keeps the data.
    local pid; pid="$(cat "$RUN_DIR/redis.pid")"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then die "redis (pid $pid) did not stop; see $LOG_DIR/redis.log"; fi
    log "redis stopped"
  fi
  rm -f "$RUN_DIR/redis.pid"
}

# ---------------------------------------------------------------- Kafka (jars)
fetch_kafka_jars() {
  [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] && return 0
  command -v java >/dev/null 2>&1 || die "no Docker engine and no java: install a JDK 17+ and Maven, or Docker"
  command -v mvn >/dev/null 2>&1 || die "no Docker engine and no mvn: install Maven (apt-get install maven), or Docker"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS.partial" -DincludeScope=runtime >/dev/null
  rm -rf "$KAFKA_LIBS" && mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
}

# Short-lived tools (storage format, topics, console clients): small heap, quiet logs.
kafka_java() {
  java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_tool() { fetch_kafka_jars; kafka_java "$@"; }

write_server_properties() {
  cat >"$RUN_DIR/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN_DIR/kafka/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
PROPS
}

kafka_up() {
  if pid_alive "$RUN_DIR/kafka.pid"; then log "kafka already up on $KAFKA_PORT"; return 0; fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by something this script did not start (set KAFKA_PORT)"
  fetch_kafka_jars
  mkdir -p "$RUN_DIR/kafka" "$LOG_DIR"
  write_server_properties
  if [[ ! -f "$RUN_DIR/kafka/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n1)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$RUN_DIR/kafka/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 \
      || die "formatting Kafka storage failed; see $LOG_DIR/kafka.log"
  fi
  # The broker: 512 MB heap is plenty for a dev broker with a handful of topics, and CI has 2 cores.
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$RUN_DIR/kafka/server.properties" >>"$LOG_DIR/kafka.log" 2>&1 &
  echo $! >"$RUN_DIR/kafka.pid"
  wait_for_kafka
}

wait_for_kafka() {
  for _ in $(seq 1 120); do
    if ! pid_alive "$RUN_DIR/kafka.pid"; then die "kafka exited during start; see $LOG_DIR/kafka.log"; fi
    if port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_DIR/kafka.log" 2>/dev/null; then
      log "kafka $KAFKA_VERSION up on 127.0.0.1:$KAFKA_PORT (KRaft, single node)"; return 0
    fi
    sleep 0.5
  done
  die "kafka did not start within 60s; see $LOG_DIR/kafka.log"
}

kafka_down() {
  if pid_alive "$RUN_DIR/kafka.pid"; then
    local pid; pid="$(cat "$RUN_DIR/kafka.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    log "kafka stopped"
  fi
  rm -f "$RUN_DIR/kafka.pid"
}

# A crash, not a stop: SIGKILL, so the broker flushes nothing and its next start recovers its logs
# as after a power cut of the process (fault drills: test/faults/kafka-kill.test.ts).
kafka_kill() {
  if pid_alive "$RUN_DIR/kafka.pid"; then
    local pid; pid="$(cat "$RUN_DIR/kafka.pid")"
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then die "kafka (pid $pid) still alive 10s after SIGKILL"; fi
    for _ in $(seq 1 100); do port_open "$KAFKA_PORT" || break; sleep 0.1; done
    log "kafka SIGKILLed (pid $pid)"
  fi
  rm -f "$RUN_DIR/kafka.pid"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  if docker_mode; then
    docker compose -f "$ROOT/docker-compose.yml" up -d --wait kafka redis
  else
    redis_up
    kafka_up
  fi
  "$ROOT/scripts/create-kafka-topics.sh"
}

cmd_down() {
  if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" down; return; fi
  kafka_down
  redis_down
}

cmd_status() {
  if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" ps; return; fi
  if pid_alive "$RUN_DIR/redis.pid"; then echo "redis: up (127.0.0.1:$REDIS_PORT, pid $(cat "$RUN_DIR/redis.pid"))"; else echo "redis: down"; fi
  if pid_alive "$RUN_DIR/kafka.pid"; then echo "kafka: up (127.0.0.1:$KAFKA_PORT, pid $(cat "$RUN_DIR/kafka.pid"))"; else echo "kafka: down"; fi
}

cmd_logs() {
  if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" logs "${1:-}"; return; fi
  case "${1:-kafka}" in
    kafka) tail -n 200 "$LOG_DIR/kafka.log" ;;
    redis) tail -n 200 "$LOG_DIR/redis.log" ;;
    *) die "logs: kafka or redis" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  # Outage drills (the fault tests use these): stop (SIGTERM, graceful), kill (SIGKILL) or start the broker alone.
  stop-kafka) if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" stop kafka; else kafka_down; fi ;;
  start-kafka) if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" up -d --wait kafka; else kafka_up; fi ;;
  kill-kafka) if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" kill -s SIGKILL kafka; else kafka_kill; fi ;;
  # Redis alone, e.g. to run it from deploy/redis/redis.conf after a config change: a clean stop keeps the data (AOF).
  stop-redis) if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" stop redis; else redis_down; fi ;;
  start-redis) if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" up -d --wait redis; else redis_up; fi ;;
  restart-redis)
    if docker_mode; then docker compose -f "$ROOT/docker-compose.yml" up -d --wait --force-recreate redis; else redis_down; redis_up; fi ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kafka-tool) shift; kafka_tool "$@" ;;
  *) echo "usage: $0 up|down|status|logs [kafka|redis]|stop-kafka|start-kafka|kill-kafka|stop-redis|start-redis|restart-redis|kafka-tool <class> [args]" >&2; exit 2 ;;
esac
