# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are for the scripts that source it
# Apache Kafka from its own jars on Maven Central, for the dev stack's broker (scripts/stack.sh) and
# the 3-node cluster (scripts/kafka-cluster.sh), which source this file; it brings lib/common.sh.

# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CACHE_DIR="${WAITROOM_CACHE_DIR:-$HOME/.cache/waitroom}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"

# The jars, fetched once into the cache.
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

# Formats a node's storage (once: a formatted data dir keeps its meta.properties) for cluster id $1.
kafka_format() {
  local cluster_id="$1" properties="$2" log_file="$3"
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$properties" >>"$log_file" 2>&1
}

# The server.properties of a KRaft node that is broker and controller, on stdout:
#   kafka_properties <node id> <quorum voters> <broker port> <controller port> <data dir> <replication factor> <min ISR>
# The replication settings are for Kafka's internal topics; the cluster adds lines of its own.
kafka_properties() {
  cat <<PROPS
process.roles=broker,controller
node.id=$1
controller.quorum.voters=$2
listeners=PLAINTEXT://127.0.0.1:$3,CONTROLLER://127.0.0.1:$4
advertised.listeners=PLAINTEXT://127.0.0.1:$3
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$5
num.partitions=1
offsets.topic.replication.factor=$6
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$6
transaction.state.log.min.isr=$7
share.coordinator.state.topic.replication.factor=$6
share.coordinator.state.topic.min.isr=$7
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
PROPS
}

# Starts a broker in the background: kafka_start <pid file> <server.properties> <log file> <JVM options...>.
kafka_start() {
  local pid_file="$1" properties="$2" log_file="$3"
  shift 3
  : >>"$log_file"
  # Lines before this mark belong to earlier runs; readiness is read after it.
  wc -l <"$log_file" >"${pid_file%.pid}.logstart"
  nohup java "$@" -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$properties" >>"$log_file" 2>&1 &
  echo $! >"$pid_file"
}

# Waits (60 s at most) until the broker of this pid file serves: its process runs, its port answers
# and its log says it started. kafka_wait_started <pid file> <port> <log file> <name for messages>.
kafka_wait_started() {
  local pid_file="$1" port="$2" log_file="$3" name="$4" from
  from="$(cat "${pid_file%.pid}.logstart" 2>/dev/null || echo 0)"
  for _ in $(seq 1 240); do
    pidfile_running "$pid_file" || die "$name exited during start; see $log_file"
    # grep -c reads to the end: grep -q would exit at the first match and, with pipefail, tail's
    # SIGPIPE on a log grown past a pipe buffer would read as "not started".
    if port_open "$port" && tail -n +"$((from + 1))" "$log_file" | grep -c "Kafka Server started" >/dev/null; then
      return 0
    fi
    sleep 0.25
  done
  die "$name did not start within 60 s; see $log_file"
}

# True when a broker of this pid file already runs (waiting for it if it is still starting); false,
# with the stale pid file removed, when none does: a dead or zombie process is not a broker.
kafka_already_up() {
  local pid_file="$1"
  if pidfile_running "$pid_file"; then
    kafka_wait_started "$@"
    return 0
  fi
  rm -f "$pid_file"
  return 1
}
