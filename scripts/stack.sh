#!/usr/bin/env bash
# The local dev/test stack: Kafka (KRaft, single node) and Redis.
#
#   scripts/stack.sh up | down | status | logs [kafka|redis|redis-replica|sentinel-N] | kafka-tool <ToolClass> [args...]
#
# With a Docker engine it drives docker-compose.yml. Without one it runs the real
# thing from the OS and Maven Central: redis-server on a port of the project's own
# (never the shared 6379) and Apache Kafka's own jars, fetched once with Maven.
# Everything it starts lives under .stack/ (data, logs, pid files); `down` stops only that.
#
# STACK_REDIS=sentinel (default standalone) makes Redis highly available the way production
# would: the usual Redis (STACK_REDIS_PORT, 6390) as the first master, a replica on the next port
# (6391) and three Sentinels 20000 above them (26390-26392) that monitor the master as "waitroom"
# and promote the replica when it dies. `status` says which one is master now.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it (it brings lib/common.sh)
source "$(dirname "${BASH_SOURCE[0]}")/lib/kafka.sh"
# The profile makes the Sentinel stack's services known to every command (`down` stops them too).
compose() { docker compose -f "$ROOT/docker-compose.yml" --profile sentinel "$@"; }

LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
# REDIS_PORT, REPLICA_PORT, SENTINEL_PORTS, SENTINEL_MASTER (lib/common.sh).
redis_stack_settings

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
SENTINELS=(sentinel-1 sentinel-2 sentinel-3)

# Every Redis process this script may run, by name (its pid file, log file and folder under run/).
instance_port() {
  case "$1" in
    redis) echo "$REDIS_PORT" ;;
    redis-replica) echo "$REPLICA_PORT" ;;
    sentinel-[123]) echo "${SENTINEL_PORTS[${1#sentinel-} - 1]}" ;;
    *) die "no Redis instance named '$1' (redis, redis-replica, sentinel-1..3)" ;;
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

# Redis data node $1 (redis, redis-replica) up from configuration file $2, more redis-server arguments after it.
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

# ---------------------------------------------------------------- Redis Sentinel (STACK_REDIS=sentinel)
# A reply's "field\nvalue" lines: the value of field $2 in reply $1.
reply_field() { awk -v key="$2" 'NR % 2 == 1 && $0 == key { getline; print; exit }' <<<"$1"; }

replication_field() { { rcli "$1" info replication 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; } || true; }

# The port of the master now: as a running Sentinel sees it; with none running, the data node that
# runs as a master (what runs wins over what was written), else the one the Sentinels last wrote down
# (newest epoch: after a failover it is not the first one), else the first master.
current_master_port() {
  local name reply port epoch best="" best_epoch=-1
  for name in "${SENTINELS[@]}"; do
    reply="$(rcli "$(instance_port "$name")" sentinel get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | tail -n1)" || continue
    if [[ "$reply" =~ ^[0-9]+$ ]]; then echo "$reply"; return 0; fi
  done
  for name in redis redis-replica; do
    port="$(instance_port "$name")"
    if pidfile_running "$RUN_DIR/$name.pid" && [[ "$(replication_field "$port" role)" == master ]]; then echo "$port"; return 0; fi
  done
  for name in "${SENTINELS[@]}"; do
    [[ -f "$RUN_DIR/$name/sentinel.conf" ]] || continue
    read -r port epoch < <(awk -v m="$SENTINEL_MASTER" '
      $1 == "sentinel" && $2 == "monitor" && $3 == m { port = $5 }
      $1 == "sentinel" && $2 == "config-epoch" && $3 == m { epoch = $4 }
      END { print port, epoch + 0 }' "$RUN_DIR/$name/sentinel.conf")
    if [[ "$port" =~ ^[0-9]+$ ]] && ((epoch > best_epoch)); then best="$port" best_epoch="$epoch"; fi
  done
  echo "${best:-$REDIS_PORT}"
}

# A data node in sentinel mode: its configuration is deploy/redis/redis.conf by `include`, in a file
# of its own because Sentinel rewrites the configuration of the nodes it reconfigures (CONFIG
# REWRITE), which must not land in the repository. Written anew at each start: the role comes from
# the command line (more arguments after the name), decided from what the Sentinels know.
sentinel_node_up() {
  local name="$1"
  if ! pidfile_running "$RUN_DIR/$name.pid"; then
    mkdir -p "$RUN_DIR/$name"
    printf '# Written by scripts/stack.sh (STACK_REDIS=sentinel) at each start; Sentinel may append to it.\ninclude %s\n' \
      "$REDIS_CONF" >"$RUN_DIR/$name/redis.conf"
  fi
  redis_node_up "$name" "$RUN_DIR/$name/redis.conf" "${@:2}"
}

# A Sentinel's configuration: written when absent or when it names another master than the one the
# stack starts with; otherwise kept, since Sentinel writes into it what it learnt (replicas, the
# other Sentinels, epochs, the master after a failover).
write_sentinel_conf() {
  local name="$1" master="$2" conf="$RUN_DIR/$1/sentinel.conf"
  mkdir -p "$RUN_DIR/$name"
  if [[ -f "$conf" ]] && grep -qx "sentinel monitor $SENTINEL_MASTER 127.0.0.1 $master 2" "$conf"; then return 0; fi
  cat >"$conf" <<CONF
# Written by scripts/stack.sh (STACK_REDIS=sentinel); Sentinel rewrites it with what it learns.
sentinel monitor $SENTINEL_MASTER 127.0.0.1 $master 2
# A master that has not answered for 1 s is down (the default, 30 s, is for real networks): a failover
# on the dev stack is there to be watched, not waited for.
sentinel down-after-milliseconds $SENTINEL_MASTER 1000
# A failover that has not finished in this time is abandoned (and retried after twice this).
sentinel failover-timeout $SENTINEL_MASTER 5000
CONF
}

sentinel_up() {
  local name="$1" master="$2"
  if redis_already_up "$name"; then log "$name already up on $(instance_port "$name")"; return 0; fi
  write_sentinel_conf "$name" "$master"
  redis_start "$name" "$RUN_DIR/$name/sentinel.conf" --sentinel
  log "$name up on 127.0.0.1:$(instance_port "$name")"
}

# Until every Sentinel sees a healthy replica (flags exactly "slave": not s_down, not disconnected;
# num-slaves would count a dead one too) and the other two: before that no failover could happen.
wait_for_sentinels() {
  local deadline=$((SECONDS + 30)) name port reply ready replicas sentinels
  while :; do
    ready=0
    for name in "${SENTINELS[@]}"; do
      port="$(instance_port "$name")"
      reply="$(rcli "$port" sentinel master "$SENTINEL_MASTER" 2>/dev/null)" || continue
      sentinels="$(reply_field "$reply" num-other-sentinels)"
      replicas="$({ rcli "$port" sentinel replicas "$SENTINEL_MASTER" 2>/dev/null || true; } \
        | awk 'key == "flags" && $0 == "slave" { n++ } { key = $0 } END { print n + 0 }')"
      if ((replicas >= 1 && ${sentinels:-0} >= 2)); then ready=$((ready + 1)); fi
    done
    ((ready == ${#SENTINELS[@]})) && return 0
    ((SECONDS < deadline)) || die "the Sentinels did not all see the replica and each other within 30 s; see $LOG_DIR/sentinel-*.log"
    sleep 0.5
  done
}

redis_sentinel_up() {
  local master name others=()
  ensure_redis_binary
  master="$(current_master_port)"
  case "$master" in
    "$REDIS_PORT") others=(redis-replica); name=redis ;;
    "$REPLICA_PORT") others=(redis); name=redis-replica ;;
    *) die "the Sentinels name 127.0.0.1:$master as master, not this stack's $REDIS_PORT or $REPLICA_PORT: stop the stack and remove $RUN_DIR/sentinel-* to start over" ;;
  esac
  # The master first, so that the replica finds it at once.
  sentinel_node_up "$name" --replicaof no one
  for name in "${others[@]}"; do sentinel_node_up "$name" --replicaof 127.0.0.1 "$master"; done
  for name in "${SENTINELS[@]}"; do sentinel_up "$name" "$master"; done
  wait_for_sentinels
  log "redis master now 127.0.0.1:$master, Sentinels $(sentinel_addresses) (master name $SENTINEL_MASTER)"
}

redis_up() {
  if [[ "$STACK_REDIS" == sentinel ]]; then redis_sentinel_up; return; fi
  redis_node_up redis "$REDIS_CONF"
  # Left by a sentinel stack after a failover: writes to it would fail (READONLY).
  if [[ "$(replication_field "$REDIS_PORT" role)" == slave ]]; then
    log "warning: redis on $REDIS_PORT is a replica (of 127.0.0.1:$(replication_field "$REDIS_PORT" master_port)): a STACK_REDIS=sentinel stack runs; use STACK_REDIS=sentinel, or stop the stack first"
  fi
}

# Sentinels first: with them gone, stopping the master starts no failover.
redis_down() {
  local name
  for name in "${SENTINELS[@]}" redis-replica redis; do redis_stop "$name"; done
}

# One status line per Redis process (the replica and the Sentinels only when they run or in sentinel mode).
redis_status() {
  local name port pid role line
  for name in redis redis-replica "${SENTINELS[@]}"; do
    port="$(instance_port "$name")"
    if ! pidfile_running "$RUN_DIR/$name.pid"; then
      [[ "$name" == redis || "$STACK_REDIS" == sentinel ]] && echo "$name: down"
      continue
    fi
    pid="$(cat "$RUN_DIR/$name.pid")"
    if ! redis_ping "$port"; then echo "$name: not answering (127.0.0.1:$port, pid $pid)"; continue; fi
    line="$name: up (127.0.0.1:$port, pid $pid"
    if [[ "$name" == sentinel-* ]]; then
      line+=", sees master $(rcli "$port" sentinel get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | paste -sd:)"
    else
      # The standalone line stays as it always was, unless that Redis is someone's replica now.
      role="$(replication_field "$port" role)"
      [[ "$role" == slave ]] && role="replica of 127.0.0.1:$(replication_field "$port" master_port)"
      [[ "$STACK_REDIS" == standalone && "$name" == redis && "$role" == master ]] || line+=", $role"
    fi
    echo "$line)"
  done
  if [[ "$STACK_REDIS" == sentinel ]]; then echo "redis master now: 127.0.0.1:$(current_master_port)"; fi
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
# The compose services of the Redis shape STACK_REDIS asks for (see the sentinel profile there).
compose_redis_services() {
  if [[ "$STACK_REDIS" == sentinel ]]; then echo redis-master redis-replica "${SENTINELS[@]}"; else echo redis; fi
}

cmd_up() {
  if docker_mode; then
    # shellcheck disable=SC2046 # one word per service
    compose up -d --wait kafka $(compose_redis_services)
  else
    redis_up
    kafka_up
  fi
  KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}" "$ROOT/scripts/create-kafka-topics.sh"
}

cmd_down() {
  if docker_mode; then compose down; return; fi
  kafka_down
  redis_down
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
    kafka | redis | redis-replica | sentinel-[123]) tail -n 200 "$LOG_DIR/${1:-kafka}.log" ;;
    *) die "logs: kafka, redis, redis-replica or sentinel-1..3" ;;
  esac
}

# The node on STACK_REDIS_PORT (in sentinel mode the first master, whatever its role now).
first_redis_service() { if [[ "$STACK_REDIS" == sentinel ]]; then echo redis-master; else echo redis; fi; }

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  # Outage drills (the fault tests use these): stop (SIGTERM, graceful), kill (SIGKILL) or start the broker alone.
  stop-kafka) if docker_mode; then compose stop kafka; else kafka_down; fi ;;
  start-kafka) if docker_mode; then compose up -d --wait kafka; else kafka_up; fi ;;
  kill-kafka) if docker_mode; then compose kill -s SIGKILL kafka; else kafka_kill; fi ;;
  # Redis alone, e.g. to run it from deploy/redis/redis.conf after a config change: a clean stop keeps the data (AOF);
  # kill-redis is a crash (SIGKILL). stop, kill and restart act on the Redis on STACK_REDIS_PORT (in
  # sentinel mode a failover follows); start brings up whatever Redis process of the stack is missing.
  stop-redis) if docker_mode; then compose stop "$(first_redis_service)"; else redis_stop redis; fi ;;
  kill-redis) if docker_mode; then compose kill -s SIGKILL "$(first_redis_service)"; else redis_kill redis; fi ;;
  start-redis)
    # shellcheck disable=SC2046 # one word per service
    if docker_mode; then compose up -d --wait $(compose_redis_services); else redis_up; fi ;;
  restart-redis)
    if docker_mode; then compose up -d --wait --force-recreate "$(first_redis_service)"; else redis_stop redis; redis_up; fi ;;
  # The port of the Redis master now (STACK_REDIS_PORT, or in sentinel mode the one the Sentinels name).
  redis-port) if [[ "$STACK_REDIS" == sentinel ]]; then current_master_port; else echo "$REDIS_PORT"; fi ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kafka-tool) shift; kafka_tool "$@" ;;
  *) echo "usage: $0 up|down|status|logs [kafka|redis|redis-replica|sentinel-N]|stop-kafka|start-kafka|kill-kafka|stop-redis|kill-redis|start-redis|restart-redis|redis-port|kafka-tool <class> [args]" >&2; exit 2 ;;
esac
