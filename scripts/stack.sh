#!/usr/bin/env bash
# Local stack for the demo: the Temporal dev server (with its Web UI), the
# backorders worker and the web app (starter serve), all in the background,
# state under .run/ (git-ignored).
#
#   scripts/stack.sh up [--no-worker]   start what is not running yet (--no-worker: the dev server only)
#   scripts/stack.sh down               stop the web app, the worker, then the dev server
#   scripts/stack.sh status             show what runs
#
# Environment (same names the worker and starter read):
#   TEMPORAL_ADDRESS    frontend host:port the dev server binds (default 127.0.0.1:7233)
#   TEMPORAL_NAMESPACE  registered at start when not "default"
#   TEMPORAL_UI_PORT    Web UI port (default 8233)
#   TEMPORAL_CLI_PATH   temporal binary to use (else scripts/ensure-temporal.sh)
#   BACKORDER_HTTP_ADDR where the web app listens (default 127.0.0.1:8080)
# The worker and the web app inherit the rest (DATABASE_URL, BACKORDER_*, ...).
#
# The dev server's extra flags come from internal/testing/devstack/devserver-flags.txt,
# the same file the Go tests embed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"
FLAGS_FILE="$ROOT/internal/testing/devstack/devserver-flags.txt"
WORKER_BIN="$ROOT/bin/worker"
STARTER_BIN="$ROOT/bin/starter"

TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
START_TIMEOUT=60

SERVER_PID="$RUN_DIR/temporal.pid"
SERVER_LOG="$RUN_DIR/temporal.log"
SERVER_DB="$RUN_DIR/temporal.db"
WORKER_PID="$RUN_DIR/worker.pid"
WORKER_LOG="$RUN_DIR/worker.log"
SERVE_PID="$RUN_DIR/serve.pid"
SERVE_LOG="$RUN_DIR/serve.log"
HTTP_ADDR="${BACKORDER_HTTP_ADDR:-127.0.0.1:8080}"

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# host and port of TEMPORAL_ADDRESS ("[::1]:7233" works too).
if [[ "$TEMPORAL_ADDRESS" == \[* ]]; then
  SERVER_HOST="${TEMPORAL_ADDRESS#[}"
  SERVER_HOST="${SERVER_HOST%%]*}"
else
  SERVER_HOST="${TEMPORAL_ADDRESS%:*}"
fi
SERVER_PORT="${TEMPORAL_ADDRESS##*:}"
[[ "$SERVER_PORT" =~ ^[0-9]+$ && -n "$SERVER_HOST" ]] ||
  die "TEMPORAL_ADDRESS must be host:port, got: $TEMPORAL_ADDRESS"
UI_HOST="$SERVER_HOST"
[[ "$UI_HOST" == "127.0.0.1" || "$UI_HOST" == "0.0.0.0" ]] && UI_HOST=localhost
UI_URL="http://$UI_HOST:$UI_PORT"

# pid_alive PIDFILE PATTERN: the pid in PIDFILE runs and its command line
# contains PATTERN (guards against a recycled pid).
pid_alive() {
  local file="$1" pattern="$2" pid cmd
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd="$(ps -p "$pid" -o command= 2>/dev/null || true)"
  [[ "$cmd" == *"$pattern"* ]]
}

read_pid() { cat "$1" 2>/dev/null || true; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1; }

# start_bg PIDFILE LOGFILE CMD...: runs CMD detached (own session, so a
# Ctrl-C in the calling terminal does not reach it), records its pid.
start_bg() {
  local pidfile="$1" logfile="$2"
  shift 2
  printf '\n===== %s: %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >>"$logfile"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  # The inner shell writes its own pid, then execs the command, so the pid
  # file is right even if setsid had to fork.
  nohup ${launcher[@]+"${launcher[@]}"} bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    >>"$logfile" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "could not start: $*"
}

# stop_pid PIDFILE PATTERN NAME TIMEOUT: SIGTERM, wait, SIGKILL if needed.
stop_pid() {
  local file="$1" pattern="$2" name="$3" timeout="$4" pid i
  if ! pid_alive "$file" "$pattern"; then
    rm -f "$file"
    log "$name: not running"
    return 0
  fi
  pid="$(read_pid "$file")"
  log "$name: stopping (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$file"
  log "$name: stopped"
}

show_log_tail() {
  local file="$1"
  if [[ -f "$file" ]]; then
    printf -- '---- last lines of %s ----\n' "$file" >&2
    tail -n 40 "$file" >&2
    printf -- '----\n' >&2
  fi
}

dev_server_flags() {
  [[ -f "$FLAGS_FILE" ]] || die "missing $FLAGS_FILE"
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z "$line" || "$line" == \#* ]] && continue
    # "--flag value": word splitting is intended (values contain no spaces).
    # shellcheck disable=SC2206
    local words=($line)
    printf '%s\n' "${words[@]}"
  done <"$FLAGS_FILE"
}

temporal_bin() {
  if [[ -z "${TEMPORAL_BIN:-}" ]]; then
    TEMPORAL_BIN="$("$ROOT/scripts/ensure-temporal.sh")" || die "no Temporal CLI (see above); try: make tools"
  fi
  printf '%s\n' "$TEMPORAL_BIN"
}

server_healthy() {
  "$(temporal_bin)" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1
}

server_up() {
  if pid_alive "$SERVER_PID" "start-dev"; then
    log "temporal dev server: already running (pid $(read_pid "$SERVER_PID")) at $TEMPORAL_ADDRESS"
    return 0
  fi
  rm -f "$SERVER_PID"
  local temporal
  temporal="$(temporal_bin)"
  if port_open "$SERVER_HOST" "$SERVER_PORT"; then
    if server_healthy; then
      log "temporal: a server not started by this script already answers at $TEMPORAL_ADDRESS; using it"
      return 0
    fi
    die "port $SERVER_PORT on $SERVER_HOST is taken by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS"
  fi
  if port_open "$SERVER_HOST" "$UI_PORT"; then
    die "the UI port $UI_PORT on $SERVER_HOST is taken; free it or set TEMPORAL_UI_PORT"
  fi

  local args=(server start-dev
    --ip "$SERVER_HOST" --port "$SERVER_PORT" --ui-port "$UI_PORT"
    --db-filename "$SERVER_DB"
    --log-level warn
    --dynamic-config-value frontend.enableServerVersionCheck=false)
  [[ "$TEMPORAL_NAMESPACE" != "default" ]] && args+=(--namespace "$TEMPORAL_NAMESPACE")
  local flag
  while IFS= read -r flag; do args+=("$flag"); done < <(dev_server_flags)

  log "temporal dev server: starting at $TEMPORAL_ADDRESS (UI $UI_URL, log $SERVER_LOG)..."
  start_bg "$SERVER_PID" "$SERVER_LOG" "$temporal" "${args[@]}"

  local deadline=$((SECONDS + START_TIMEOUT))
  until server_healthy; do
    if ! pid_alive "$SERVER_PID" "start-dev"; then
      show_log_tail "$SERVER_LOG"
      rm -f "$SERVER_PID"
      die "the temporal dev server exited during start-up (log above: $SERVER_LOG)"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$SERVER_LOG"
      die "the temporal dev server did not answer at $TEMPORAL_ADDRESS within ${START_TIMEOUT}s (log above: $SERVER_LOG; it is still running, pid $(read_pid "$SERVER_PID"); stop it with: scripts/stack.sh down)"
    fi
    sleep 0.5
  done
  log "temporal dev server: ready (pid $(read_pid "$SERVER_PID"))"
}

worker_up() {
  if pid_alive "$WORKER_PID" "bin/worker"; then
    log "worker: already running (pid $(read_pid "$WORKER_PID"))"
    return 0
  fi
  rm -f "$WORKER_PID"
  [[ -x "$WORKER_BIN" ]] || die "worker: $WORKER_BIN is missing; build it first: make build"
  log "worker: starting (log $WORKER_LOG)..."
  start_bg "$WORKER_PID" "$WORKER_LOG" "$WORKER_BIN"
  # A worker that cannot start (bad config, no database) exits at once.
  sleep 2
  if ! pid_alive "$WORKER_PID" "bin/worker"; then
    show_log_tail "$WORKER_LOG"
    rm -f "$WORKER_PID"
    die "worker: exited right after start (log above: $WORKER_LOG)"
  fi
  log "worker: running (pid $(read_pid "$WORKER_PID"))"
}

# serve_up starts the web app (starter serve) once the database is set up.
serve_up() {
  if pid_alive "$SERVE_PID" "starter serve"; then
    log "web app: already running (pid $(read_pid "$SERVE_PID")) on $HTTP_ADDR"
    return 0
  fi
  rm -f "$SERVE_PID"
  [[ -x "$STARTER_BIN" ]] || die "web app: $STARTER_BIN is missing; build it first: make build"
  local host="${HTTP_ADDR%:*}" port="${HTTP_ADDR##*:}"
  host="${host#[}"; host="${host%]}"
  [[ "$host" == "0.0.0.0" || -z "$host" ]] && host=127.0.0.1
  if port_open "$host" "$port"; then
    die "web app: $HTTP_ADDR is taken; free it or set BACKORDER_HTTP_ADDR"
  fi
  log "web app: starting on $HTTP_ADDR (log $SERVE_LOG)..."
  start_bg "$SERVE_PID" "$SERVE_LOG" "$STARTER_BIN" serve --addr "$HTTP_ADDR"
  local i
  for ((i = 0; i < 100; i++)); do
    port_open "$host" "$port" && break
    if ! pid_alive "$SERVE_PID" "starter serve"; then
      show_log_tail "$SERVE_LOG"
      rm -f "$SERVE_PID"
      die "web app: exited right after start (log above: $SERVE_LOG)"
    fi
    sleep 0.1
  done
  port_open "$host" "$port" || die "web app: not listening on $HTTP_ADDR after 10s (log: $SERVE_LOG)"
  log "web app: running (pid $(read_pid "$SERVE_PID"))"
}

cmd_up() {
  local with_worker=true
  for a in "$@"; do
    case "$a" in
      --no-worker) with_worker=false ;;
      *) die "unknown option for up: $a" ;;
    esac
  done
  mkdir -p "$RUN_DIR"
  server_up
  if $with_worker; then
    worker_up
    serve_up
  fi
  log "up: Temporal $TEMPORAL_ADDRESS, Web UI $UI_URL"
}

cmd_down() {
  stop_pid "$SERVE_PID" "starter serve" "web app" 15
  stop_pid "$WORKER_PID" "bin/worker" "worker" 30
  stop_pid "$SERVER_PID" "start-dev" "temporal dev server" 20
}

cmd_status() {
  if pid_alive "$SERVER_PID" "start-dev"; then
    echo "temporal dev server: running (pid $(read_pid "$SERVER_PID")) at $TEMPORAL_ADDRESS, Web UI $UI_URL, log $SERVER_LOG"
  elif port_open "$SERVER_HOST" "$SERVER_PORT"; then
    echo "temporal dev server: not started by this script, but something listens on $TEMPORAL_ADDRESS"
  else
    echo "temporal dev server: stopped"
  fi
  if pid_alive "$WORKER_PID" "bin/worker"; then
    echo "worker: running (pid $(read_pid "$WORKER_PID")), log $WORKER_LOG"
  else
    echo "worker: stopped"
  fi
  if pid_alive "$SERVE_PID" "starter serve"; then
    echo "web app: running (pid $(read_pid "$SERVE_PID")) on $HTTP_ADDR, log $SERVE_LOG"
  else
    echo "web app: stopped"
  fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up [--no-worker] | down | status" >&2
    exit 2
    ;;
esac
