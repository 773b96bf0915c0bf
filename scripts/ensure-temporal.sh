#!/usr/bin/env bash
# Prints the path of the pinned Temporal CLI (which contains the dev server and
# its Web UI), building it with `go install` from the Go module proxy first if
# it is not in the tools cache yet. Only the path goes to stdout; progress
# goes to stderr, so callers can do: TEMPORAL="$(scripts/ensure-temporal.sh)".
#
#   TEMPORAL_CLI_PATH    use this binary instead (must be executable)
#   BACKORDER_TOOLS_DIR  tools cache (default ~/.cache/backorder-tools)
#
# Keep the version in sync with internal/testing/devstack (TemporalCLIVersion).
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1"

log() { printf 'ensure-temporal: %s\n' "$*" >&2; }

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  if [[ -f "$TEMPORAL_CLI_PATH" && -x "$TEMPORAL_CLI_PATH" ]]; then
    printf '%s\n' "$TEMPORAL_CLI_PATH"
    exit 0
  fi
  log "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file; using the pinned build instead"
fi

tools_dir="${BACKORDER_TOOLS_DIR:-$HOME/.cache/backorder-tools}"
install_dir="$tools_dir/temporal-${TEMPORAL_CLI_VERSION#v}"
bin="$install_dir/temporal"

if [[ -x "$bin" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not on PATH; install Go (https://go.dev/dl/) or set TEMPORAL_CLI_PATH to a temporal CLI binary"
  exit 1
fi

mkdir -p "$install_dir"

# One build at a time: a second caller waits for the first.
lock="$install_dir/.install.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then
  if ! flock -n 9; then
    log "another build of the Temporal CLI is running; waiting for it..."
    flock 9
  fi
fi
if [[ -x "$bin" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

log "building the Temporal CLI ${TEMPORAL_CLI_VERSION} into $install_dir (one-time, takes a few minutes)..."
# Build into a temporary dir and move the result into place, so an interrupted
# build never leaves a half-written binary at $bin. GOFLAGS from the
# environment (e.g. -mod=vendor) would break an install outside the module.
tmp="$(mktemp -d "$install_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && GOFLAGS= GOBIN="$tmp" go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}") >&2; then
  log "go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} failed (see above)"
  exit 1
fi
mv -f "$tmp/temporal" "$bin"
log "installed $("$bin" --version 2>/dev/null | head -n1)"
printf '%s\n' "$bin"
