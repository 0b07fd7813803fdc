# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are for the scripts that source it
# What the dev scripts share, sourced by them (not run):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Sets ROOT (the repository), STACK_DIR and LOG_TAG (the script's name: `[stack] ...`), and defines logging,
# process and port checks, the Docker-or-jars choice, and the addresses of the dev stack's Redis.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOG_TAG="${LOG_TAG:-$(basename "$0" .sh)}"
# Where the dev stack keeps its data, logs, pid files and the dev admin key.
STACK_DIR="${WAITROOM_STACK_DIR:-$ROOT/.stack}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# The stack runs in Docker when an engine answers, else from the OS and Maven jars; STACK_MODE=jar|docker forces one.
docker_mode() {
  [[ "${STACK_MODE:-auto}" == "jar" ]] && return 1
  [[ "${STACK_MODE:-auto}" == "docker" ]] && return 0
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A process that runs. `kill -0` is not enough: it also succeeds for a zombie, and a SIGKILLed
# daemon stays one (its parent is init, which reaps it late) for seconds after it has closed its
# ports, so "its pid is alive" would call a dead server up.
pid_running() {
  local pid="$1" stat
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  if [[ -r /proc/self/stat ]]; then
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    # pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ") ".
    stat="${stat##*) }"
    [[ "${stat%% *}" != [ZX] ]]
  else
    kill -0 "$pid" 2>/dev/null && [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]]
  fi
}

pidfile_running() { [[ -f "$1" ]] && pid_running "$(cat "$1")"; }

# Waits up to $2 seconds for process $1 to end (a zombie has ended: it holds no port or file any more).
wait_gone() {
  local pid="$1" tries=$(($2 * 10))
  while ((tries-- > 0)); do
    pid_running "$pid" || return 0
    sleep 0.1
  done
  ! pid_running "$pid"
}

# Waits up to $2 seconds for nothing to listen on 127.0.0.1:$1 any more.
wait_port_closed() {
  local tries=$(($2 * 10))
  while ((tries-- > 0)) && port_open "$1"; do sleep 0.1; done
}

# Ends the process of pid file $1 with signal $2, SIGKILL if it outlives $3 seconds, and removes the
# pid file; with $4, waits for that port to close too. Prints the pid it stopped, nothing if none ran.
stop_pidfile() {
  local pid_file="$1" signal="$2" grace="$3" port="${4:-}" pid
  if pidfile_running "$pid_file"; then
    pid="$(cat "$pid_file")"
    kill "-$signal" "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$grace"; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || die "pid $pid (from $pid_file) still runs 10 s after SIGKILL"
    fi
    [[ -z "$port" ]] || wait_port_closed "$port" 10
    echo "$pid"
  fi
  rm -f "$pid_file"
}

# ---------------------------------------------------------------- the dev stack's Redis
# STACK_REDIS picks its shape (scripts/stack.sh starts it, scripts/run-dev.sh points the service at it):
#   standalone (default, or empty): one redis-server on STACK_REDIS_PORT (6390)
#   sentinel: that one as the first master, a replica on the next port (6391) and three Sentinels
#             on 20000 + those ports (26390-26392) that monitor it as SENTINEL_MASTER ("waitroom").
# Deriving every port from STACK_REDIS_PORT lets a second stack (other ports) run beside the first.
redis_stack_settings() {
  STACK_REDIS="${STACK_REDIS:-standalone}"
  case "$STACK_REDIS" in standalone | sentinel) ;; *) die "STACK_REDIS must be standalone or sentinel (got '$STACK_REDIS')" ;; esac
  REDIS_PORT="${STACK_REDIS_PORT:-6390}"
  if ! [[ "$REDIS_PORT" =~ ^[0-9]+$ ]] || ((REDIS_PORT < 1024 || REDIS_PORT >= 45000)); then
    die "STACK_REDIS_PORT must be a port from 1024 to 44999 (its Sentinels listen 20000 above it)"
  fi
  REPLICA_PORT=$((REDIS_PORT + 1))
  SENTINEL_PORTS=($((REDIS_PORT + 20000)) $((REDIS_PORT + 20001)) $((REDIS_PORT + 20002)))
  SENTINEL_MASTER="waitroom"
}

# The Sentinels as the service's REDIS_SENTINELS wants them: 127.0.0.1:26390,127.0.0.1:26391,...
sentinel_addresses() {
  local list=() port
  for port in "${SENTINEL_PORTS[@]}"; do list+=("127.0.0.1:$port"); done
  (IFS=,; echo "${list[*]}")
}
