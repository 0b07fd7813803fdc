#!/usr/bin/env bash
# Kafka's own command-line tools, whichever stack runs the broker:
# inside the container with Docker, from the Maven jars without it.
#
#   scripts/kafka-cli.sh topics|console-producer|console-consumer|consumer-groups [args...]
#
# --bootstrap-server is added for you (KAFKA_BROKERS, default 127.0.0.1:9092).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR disable=SC1091 # shellcheck -x follows it
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
BOOTSTRAP="${KAFKA_BROKERS:-127.0.0.1:9092}"
BOOTSTRAP="${BOOTSTRAP%%,*}"

tool="${1:-}"; shift || true
case "$tool" in
  topics) class=org.apache.kafka.tools.TopicCommand; script=kafka-topics.sh ;;
  console-producer) class=org.apache.kafka.tools.ConsoleProducer; script=kafka-console-producer.sh ;;
  console-consumer) class=org.apache.kafka.tools.consumer.ConsoleConsumer; script=kafka-console-consumer.sh ;;
  consumer-groups) class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand; script=kafka-consumer-groups.sh ;;
  *) echo "usage: $0 topics|console-producer|console-consumer|consumer-groups [args...]" >&2; exit 2 ;;
esac

if docker_mode; then
  # Inside the container the broker listens on its own loopback.
  tty_flag=""; [[ -t 0 ]] && tty_flag="-it" || tty_flag="-i"
  exec docker compose -f "$ROOT/docker-compose.yml" exec $tty_flag kafka \
    "/opt/kafka/bin/$script" --bootstrap-server localhost:9092 "$@"
fi
exec "$ROOT/scripts/stack.sh" kafka-tool "$class" --bootstrap-server "$BOOTSTRAP" "$@"
