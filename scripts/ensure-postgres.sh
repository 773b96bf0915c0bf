#!/usr/bin/env bash
# Makes sure the PostgreSQL server in DATABASE_URL answers, starting a local
# cluster when one is installed but stopped. Creating the application
# database is `bin/starter setup`'s job (store.EnsureDatabase); when psql is
# available this script creates it too, best effort.
#
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/backorders?sslmode=disable
set -euo pipefail

DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/backorders?sslmode=disable"
DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { printf 'ensure-postgres: %s\n' "$*" >&2; exit 1; }

# PostgreSQL tools are often not on PATH (Debian keeps the server binaries in
# /usr/lib/postgresql/N/bin, Homebrew in its keg-only prefix).
for d in /usr/bin /usr/sbin /usr/lib/postgresql/*/bin \
  /opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin \
  /opt/homebrew/bin /usr/local/bin; do
  [[ -d "$d" ]] && PATH="$PATH:$d"
done
export PATH

# --- parse DATABASE_URL: postgres[ql]://[user[:password]@]host[:port]/db[?...]
url="$DATABASE_URL"
case "$url" in
  postgres://* | postgresql://*) ;;
  *) die "DATABASE_URL must be a postgres:// URL, got: $url" ;;
esac
rest="${url#*://}"
rest="${rest%%\?*}"
authority="${rest%%/*}"
dbname=""
[[ "$rest" == */* ]] && dbname="${rest#*/}"
userinfo=""
hostport="$authority"
if [[ "$authority" == *@* ]]; then
  userinfo="${authority%@*}"
  hostport="${authority##*@}"
fi
db_user="${userinfo%%:*}"
if [[ "$hostport" == \[* ]]; then # [ipv6]:port
  host="${hostport#[}"
  host="${host%%]*}"
  port="${hostport##*]}"
  port="${port#:}"
else
  host="${hostport%%:*}"
  port=""
  [[ "$hostport" == *:* ]] && port="${hostport##*:}"
fi
host="${host:-127.0.0.1}"
port="${port:-5432}"
[[ "$port" =~ ^[0-9]+$ ]] || die "cannot read the port from DATABASE_URL=$url"

is_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$host" -p "$port" -t 2 >/dev/null 2>&1
  else
    # No client tools: a TCP connect is the best we can do.
    (exec 3<>"/dev/tcp/$host/$port") >/dev/null 2>&1
  fi
}

wait_ready() {
  local i
  for ((i = 0; i < 60; i++)); do
    is_ready && return 0
    sleep 0.5
  done
  return 1
}

# Best effort: create the database named in DATABASE_URL when psql is here.
create_database() {
  [[ -n "$dbname" && "$dbname" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || return 0
  command -v psql >/dev/null 2>&1 || return 0
  local admin_url="${url%%://*}://${authority}/postgres"
  [[ "$url" == *\?* ]] && admin_url="$admin_url?${url#*\?}"
  local exists
  exists="$(psql "$admin_url" -wXtAq -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'" 2>/dev/null || true)"
  if [[ "$exists" != "1" ]]; then
    if psql "$admin_url" -wXq -c "CREATE DATABASE \"$dbname\"" >/dev/null 2>&1; then
      log "created database $dbname"
    fi
  fi
  return 0
}

is_local() {
  case "$host" in
    127.0.0.1 | localhost | ::1 | /*) return 0 ;;
    *) return 1 ;;
  esac
}

install_hint() {
  cat >&2 <<EOF
ensure-postgres: no PostgreSQL server is installed on this machine, and nothing answers at $host:$port.
  Debian/Ubuntu:  sudo apt-get install postgresql      (then re-run; the cluster starts on port 5432)
  macOS:          brew install postgresql@16 && brew services start postgresql@16
  Docker:         docker compose up -d postgresql        (see docker-compose.yml)
  Or point DATABASE_URL at a PostgreSQL server you already have, e.g.
                  export DATABASE_URL='postgres://USER:PASSWORD@HOST:5432/backorders?sslmode=disable'
EOF
}

# as_admin runs a command directly when root, else via sudo -n.
as_admin() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    sudo -n "$@"
  else
    "$@"
  fi
}

if is_ready; then
  create_database
  exit 0
fi

if ! is_local; then
  die "PostgreSQL at $host:$port (from DATABASE_URL) does not answer. Start that server, or set DATABASE_URL to one that runs (default: $DEFAULT_DATABASE_URL)."
fi

log "PostgreSQL does not answer at $host:$port; trying to start a local server..."

debian_server=false
if command -v pg_lsclusters >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 &&
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  debian_server=true
fi

started=false
if $debian_server; then
  # Debian/Ubuntu: postgresql-common clusters ("15 main 5432 down ...").
  clusters="$(pg_lsclusters --no-header 2>/dev/null || true)"
  if [[ -z "$clusters" ]]; then
    ver="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)"
    die "PostgreSQL is installed but has no cluster. Create one: sudo pg_createcluster ${ver:-<version>} main --start   (or set DATABASE_URL)"
  fi
  match="$(awk -v p="$port" '$3 == p { print $1, $2, $4; exit }' <<<"$clusters")"
  if [[ -z "$match" ]]; then
    die "no local PostgreSQL cluster uses port $port (pg_lsclusters shows: $(awk '{printf "%s/%s on %s (%s); ", $1, $2, $3, $4}' <<<"$clusters")). Set DATABASE_URL to the right port."
  fi
  read -r ver name status <<<"$match"
  if [[ "$status" != online* ]]; then
    log "starting cluster $ver/$name (pg_ctlcluster)..."
    if ! as_admin pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start; then
      die "could not start the cluster; run as root: pg_ctlcluster --skip-systemctl-redirect $ver $name start   (or: sudo systemctl start postgresql)"
    fi
  fi
  started=true
elif command -v brew >/dev/null 2>&1 && brew list --versions postgresql@16 >/dev/null 2>&1; then
  log "starting postgresql@16 (brew services)..."
  brew services start postgresql@16 >&2 || die "brew services start postgresql@16 failed"
  started=true
elif command -v brew >/dev/null 2>&1 && brew list --formula 2>/dev/null | grep -q '^postgresql'; then
  formula="$(brew list --formula | grep '^postgresql' | sort -V | tail -n1)"
  log "starting $formula (brew services)..."
  brew services start "$formula" >&2 || die "brew services start $formula failed"
  started=true
elif command -v postgres >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then
  die "a PostgreSQL server is installed but not running on $host:$port, and this script does not know how to start it here. Start it (e.g. pg_ctl -D <data dir> start), or set DATABASE_URL."
else
  install_hint
  exit 1
fi

if $started; then
  if ! wait_ready; then
    die "PostgreSQL was started but does not answer at $host:$port after 30s; check its log (Debian: /var/log/postgresql/)."
  fi
  log "PostgreSQL is up at $host:$port"
fi
create_database
