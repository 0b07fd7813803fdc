# Waitroom: developer entry points.
#
# Every target works on both local stacks, because it goes through the scripts that pick one:
#   - with a Docker engine: docker-compose.yml (kafka + redis containers),
#   - without one: redis-server on 127.0.0.1:6390 and Apache Kafka from Maven jars on 127.0.0.1:9092.
# STACK_MODE=jar|docker forces a choice (same rule as scripts/stack.sh and scripts/kafka-cli.sh).
# STACK_REDIS=sentinel runs Redis as a master, a replica and three Sentinels (scripts/stack.sh), and
# `make run` points the service at the Sentinels; without it, one Redis, as always.
#
#   make help            the list below
#   make setup           once: npm ci + fetch Kafka (jars, or images with Docker)
#   make run             stack up, build, seed the demo event, serve on :8080

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT       := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
STACK      := $(ROOT)/scripts/stack.sh
STACK_DIR  := $(or $(WAITROOM_STACK_DIR),$(ROOT)/.stack)
ADMIN_KEY_FILE := $(STACK_DIR)/admin-api-key

# Where the stack listens on this host (scripts/stack.sh reads STACK_REDIS_PORT too).
STACK_REDIS_PORT ?= 6390
KAFKA_PORT       ?= 9092
# standalone (empty) or sentinel: read by scripts/stack.sh (stack-up, run) and scripts/run-dev.sh (run).
STACK_REDIS      ?=
export STACK_REDIS_PORT KAFKA_PORT STACK_REDIS
# scripts/kafka-cli.sh (and create-kafka-topics.sh through it) find the broker via KAFKA_BROKERS.
KAFKA_ENV = KAFKA_BROKERS="$${KAFKA_BROKERS:-127.0.0.1:$(KAFKA_PORT)}"

# `make run` settings; override on the command line, e.g. `make run PORT=8081`.
PORT                       ?= 8080
SIMULATOR_PORT             ?= 8081
DEMO_EVENT                 ?= concert-2024
DEMO_PEOPLE                ?= 5000
DEMO_ARRIVAL_SECONDS       ?= 60
SHARDS                     ?= 1
JOIN_RATE_LIMIT_PER_MINUTE ?= 120
LOG_LEVEL                  ?= log

# Kafka console targets.
TOPIC ?=
GROUP ?= waitroom-service
# For kafka-console-producer: `KEY_SEPARATOR='|'` reads lines as `key|value` (the contract keys by event_id).
KEY_SEPARATOR ?=
# Extra arguments passed through to the underlying tool, e.g. ARGS='--max-messages 5'.
ARGS ?=
# stack-logs: kafka or redis (with STACK_REDIS=sentinel also redis-replica, sentinel-1, sentinel-2, sentinel-3).
SERVICE ?= kafka

# True when the stack runs in Docker (the same test as scripts/stack.sh).
IS_DOCKER = { [ "$${STACK_MODE:-auto}" = docker ] || { [ "$${STACK_MODE:-auto}" != jar ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }; }

.PHONY: help setup stack-up stack-down stack-status stack-logs \
        kafka-topics-create kafka-topics-list kafka-console-producer kafka-console-consumer kafka-consumer-groups \
        redis-cli build run demo test lint bench bench-join

help: ## Show this list
	@echo "Waitroom make targets (stack: Docker when an engine answers, else local jars; STACK_MODE=jar|docker forces one)"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-24s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Examples:"
	@echo "  make run                                        # then: curl -X POST localhost:8080/api/v1/waitroom/join ..."
	@echo "  make run STACK_REDIS=sentinel                   # Redis master + replica + 3 Sentinels (26390-26392)"
	@echo "  make kafka-console-consumer TOPIC=QUEUE_JOINED"
	@echo "  make kafka-console-producer TOPIC=CHECKOUT_COMPLETED KEY_SEPARATOR='|'   # lines: concert-2024|{\"session_id\":\"...\"}"
	@echo "  echo 'keys wr:*' | make redis-cli"
	@echo "  make verify-draw EVENT=concert-2024             # OK / MISMATCH / CANNOT VERIFY (scripts/verify-draw.ts)"

# ---------------------------------------------------------------- setup & stack

setup: ## Install npm dependencies (npm ci) and fetch Kafka (Maven jars, or Docker images)
	npm ci
	@if $(IS_DOCKER); then \
	  echo "[setup] Docker engine found: pulling the stack's images"; \
	  docker compose -f "$(ROOT)/docker-compose.yml" pull kafka redis; \
	else \
	  echo "[setup] no Docker engine: fetching Apache Kafka jars from Maven Central (once, into ~/.cache/waitroom)"; \
	  "$(STACK)" kafka-tool kafka.tools.StorageTool random-uuid >/dev/null; \
	  command -v redis-server >/dev/null 2>&1 || echo "[setup] note: redis-server is not installed; 'make stack-up' installs it with apt-get when run as root"; \
	fi
	@echo "[setup] done: 'make run' starts the stack and the service"

stack-up: ## Start Kafka and Redis (and create the topics); STACK_REDIS=sentinel: master, replica, 3 Sentinels
	@$(KAFKA_ENV) "$(STACK)" up

stack-down: ## Stop Kafka and Redis (and the replica and Sentinels) started by stack-up
	@"$(STACK)" down

stack-status: ## Show whether Kafka and Redis are up
	@"$(STACK)" status

stack-logs: ## Show the stack's logs (SERVICE=kafka|redis|redis-replica|sentinel-1..3)
	@"$(STACK)" logs "$(SERVICE)"

# ---------------------------------------------------------------- Kafka

kafka-topics-create: ## Create the contract's topics and DLQs if absent (idempotent)
	@$(KAFKA_ENV) "$(ROOT)/scripts/create-kafka-topics.sh"

kafka-topics-list: ## List the topics
	@$(KAFKA_ENV) "$(ROOT)/scripts/kafka-cli.sh" topics --list --exclude-internal $(ARGS)

kafka-console-producer: ## Type messages into TOPIC=... (one per line; KEY_SEPARATOR='|' for key|value)
	$(if $(TOPIC),,$(error TOPIC is required, e.g. make kafka-console-producer TOPIC=CHECKOUT_COMPLETED))
	@[ -t 0 ] && echo "[kafka] producing to $(TOPIC): one message per line, Ctrl-D to finish" >&2 || true
	@$(KAFKA_ENV) "$(ROOT)/scripts/kafka-cli.sh" console-producer --topic "$(TOPIC)" \
	  $(if $(KEY_SEPARATOR),--property parse.key=true --property "key.separator=$(KEY_SEPARATOR)") $(ARGS)

kafka-console-consumer: ## Print TOPIC=... from the beginning, with partition, offset, key and headers
	$(if $(TOPIC),,$(error TOPIC is required, e.g. make kafka-console-consumer TOPIC=QUEUE_JOINED))
	@[ -t 1 ] && echo "[kafka] reading $(TOPIC) from the beginning (Ctrl-C to stop)" >&2 || true
	@$(KAFKA_ENV) "$(ROOT)/scripts/kafka-cli.sh" console-consumer --topic "$(TOPIC)" --from-beginning \
	  --property print.partition=true --property print.offset=true \
	  --property print.key=true --property print.headers=true \
	  --property "key.separator= | " --property "headers.separator=," $(ARGS)

kafka-consumer-groups: ## Describe consumer group GROUP (default waitroom-service): lag per partition
	@$(KAFKA_ENV) "$(ROOT)/scripts/kafka-cli.sh" consumer-groups --describe --group "$(GROUP)" $(ARGS)

# ---------------------------------------------------------------- Redis

redis-cli: ## redis-cli on the stack's Redis master (127.0.0.1:6390 by default); reads commands from stdin when piped
	@# With STACK_REDIS=sentinel the master is whichever the Sentinels name now (scripts/stack.sh redis-port).
	@if command -v redis-cli >/dev/null 2>&1; then \
	  exec redis-cli -h 127.0.0.1 -p "$$("$(STACK)" redis-port)" $(ARGS); \
	elif $(IS_DOCKER); then \
	  tty_flag=-T; [ -t 0 ] && tty_flag=; \
	  if [ "$(STACK_REDIS)" = sentinel ]; then \
	    exec docker compose -f "$(ROOT)/docker-compose.yml" --profile sentinel exec $$tty_flag sentinel-1 \
	      sh -c 'exec redis-cli -p "$$(redis-cli -p 26390 sentinel get-master-addr-by-name waitroom | tail -n1)" "$$@"' redis-cli $(ARGS); \
	  fi; \
	  exec docker compose -f "$(ROOT)/docker-compose.yml" exec $$tty_flag redis redis-cli $(ARGS); \
	else \
	  echo "redis-cli is not installed (apt-get install redis-tools)" >&2; exit 1; \
	fi

# ---------------------------------------------------------------- the service

# npm ci on a fresh clone, and again whenever package-lock.json changes.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

build: node_modules/.package-lock.json ## Compile the service (npm run build) into dist/
	npm run build

run: stack-up build ## Stack up, build, seed demo event concert-2024, serve on :8080 (PORT=..., STACK_REDIS=sentinel) in the foreground
	@mkdir -p "$(STACK_DIR)"
	@# ADMIN_API_KEY from the environment (or on the make command line) wins; else the dev key file, made once.
	@if [ -z "$${ADMIN_API_KEY:-}" ] && [ ! -s "$(ADMIN_KEY_FILE)" ]; then \
	  (umask 077; node -e "process.stdout.write(require('crypto').randomBytes(24).toString('base64url'))" >"$(ADMIN_KEY_FILE)"); \
	  echo "[run] generated a dev admin key into $(ADMIN_KEY_FILE)"; \
	fi
	@if [ -n "$${ADMIN_API_KEY:-}" ]; then \
	  key="$$ADMIN_API_KEY"; shown='$$ADMIN_API_KEY of your environment'; origin='not printed, not stored'; \
	else \
	  key="$$(cat "$(ADMIN_KEY_FILE)")"; shown="$$key"; origin="kept in $(ADMIN_KEY_FILE)"; \
	fi; \
	printf '\n==============================================================\n'; \
	printf '  Waitroom dev server: http://127.0.0.1:%s  (OpenAPI UI: /api/docs)\n' "$(PORT)"; \
	printf '  Admin API key (x-api-key): %s\n' "$$shown"; \
	printf '  (%s)\n' "$$origin"; \
	printf '  Checkout simulator: http://127.0.0.1:%s (consumes QUEUE_READY of concert-2024)\n' "$(SIMULATOR_PORT)"; \
	printf '  Demo event concert-2024 is configured once the server is ready; the page URLs follow.\n'; \
	printf '==============================================================\n\n'; \
	PORT="$(PORT)" SIMULATOR_PORT="$(SIMULATOR_PORT)" ADMIN_API_KEY="$$key" \
	  JOIN_RATE_LIMIT_PER_MINUTE="$(JOIN_RATE_LIMIT_PER_MINUTE)" LOG_LEVEL="$(LOG_LEVEL)" \
	  EVENT_ID=concert-2024 CAPACITY=100 ADMISSION_RATE_PER_MINUTE=600 CHECKOUT_TIMEOUT_SECONDS=600 \
	  exec "$(ROOT)/scripts/run-dev.sh"

demo: ## A bounded synthetic crowd on concert-2024 of the running `make run` (DEMO_PEOPLE, DEMO_ARRIVAL_SECONDS; SHARDS=3: on concert-2024-shards-3, split over 3 shards); stops by itself
	@key="$${ADMIN_API_KEY:-$$(cat "$(ADMIN_KEY_FILE)" 2>/dev/null || true)}"; \
	[ -n "$$key" ] || { echo "[demo] no admin key: start 'make run' first (or set ADMIN_API_KEY)" >&2; exit 1; }; \
	WAITROOM_URL="http://127.0.0.1:$(PORT)" ADMIN_API_KEY="$$key" EVENT_ID="$(DEMO_EVENT)" \
	  DEMO_PEOPLE="$(DEMO_PEOPLE)" DEMO_ARRIVAL_SECONDS="$(DEMO_ARRIVAL_SECONDS)" DEMO_SHARDS="$(SHARDS)" \
	  npx ts-node --transpile-only scripts/demo-crowd.ts

.PHONY: verify-draw
verify-draw: ## Verify an event's pre-queue draw from /draw and Kafka (EVENT=...; WAITROOM_URL, KAFKA_BROKERS)
	$(if $(EVENT),,$(error EVENT is required, e.g. make verify-draw EVENT=concert-2024))
	@WAITROOM_URL="$${WAITROOM_URL:-http://127.0.0.1:$(PORT)}" $(KAFKA_ENV) \
	  npx ts-node --transpile-only scripts/verify-draw.ts "$(EVENT)"

test: ## Run the test suite (scripts/test.sh)
	@bash "$(ROOT)/scripts/test.sh" $(ARGS)

.PHONY: test-faults
test-faults: ## Run the fault drills in test/faults/ (scripts/test-faults.sh): kills, restarts, outages
	@bash "$(ROOT)/scripts/test-faults.sh" $(ARGS)

.PHONY: soak
soak: ## A whole sale while instances, the Redis master and the Kafka broker fail at random; invariants at the end (SOAK_SECONDS=600)
	@SOAK_SECONDS=$(or $(SOAK_SECONDS),600) SOAK_CHAOS_EVERY_SECONDS=$(or $(SOAK_CHAOS_EVERY_SECONDS),12) bash "$(ROOT)/scripts/soak.sh" $(ARGS)

lint: ## Lint the TypeScript sources (npm run lint)
	npm run lint

bench: ## Every benchmark vs its baseline, ~7 min (<= 12): BENCHMARKS.md, docs/bench-suite.{json,svg} (npm run bench:suite)
	flock /tmp/waitroom-bench.lock npm run bench:suite $(if $(ARGS),-- $(ARGS))

bench-join: ## Join throughput benchmark alone, full length (npm run bench:join)
	flock /tmp/waitroom-bench.lock npm run bench:join $(if $(ARGS),-- $(ARGS))
