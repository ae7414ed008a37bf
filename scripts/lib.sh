# Shared by the scripts in this folder: paths, secrets, and idempotent server set-up. Source it; don't run it.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"
# Secrets belong to the machine's servers, not to a checkout: every clone on this machine shares the same role and
# broker user, so they share one secrets file (outside any repository).
SECRETS_FILE="${ALP_SECRETS_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/activelabel/secrets.env}"
STACK_ENV="$LOCAL_DIR/stack.env"
SERVICES=(Ingestion Labeling Trainer QuerySampler)

# The platform's database, role and RabbitMQ virtual host/user. Ports are the servers' defaults.
ALP_DB_NAME="${ALP_DB_NAME:-activelabel}"
ALP_DB_USER="${ALP_DB_USER:-activelabel}"
ALP_RABBIT_VHOST="${ALP_RABBIT_VHOST:-activelabel}"
ALP_RABBIT_USER="${ALP_RABBIT_USER:-activelabel}"
ALP_PG_MAX_CONNECTIONS="${ALP_PG_MAX_CONNECTIONS:-500}"
# PostgreSQL's 128 MB default evicts the items table's indexes during a bulk import (random content-hash order), so a
# million-row import read pages back from the OS cache; 2 GB held them (44k -> 50k items/s measured).
ALP_PG_SHARED_BUFFERS="${ALP_PG_SHARED_BUFFERS:-2GB}"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

service_port() {
  case "$1" in
    Ingestion) echo 5101 ;; Labeling) echo 5102 ;; Trainer) echo 5103 ;; QuerySampler) echo 5104 ;;
    *) die "unknown service $1" ;;
  esac
}

# Random passwords, made once per machine user and never in a repository.
ensure_secrets() {
  mkdir -p "$LOCAL_DIR" "$(dirname "$SECRETS_FILE")"
  chmod 700 "$LOCAL_DIR" "$(dirname "$SECRETS_FILE")"
  if [ ! -f "$SECRETS_FILE" ]; then
    log "Generating secrets in $SECRETS_FILE"
    umask 077
    {
      echo "ALP_DB_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      echo "ALP_RABBIT_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    } > "$SECRETS_FILE"
  fi
  # shellcheck disable=SC1090
  source "$SECRETS_FILE"
}

apt_install() {
  log "Installing $* (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The foreign gRPC clients the Scorer's interop tests run: Debian's python3-grpcio (with its protobuf) under
# /usr/bin/python3, and @grpc/grpc-js from npm (tests/interop/node, installed from its package-lock.json).
ensure_test_tools() {
  local missing=()
  /usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1 || missing+=(python3-grpcio python3-protobuf)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  # The browser tests drive Debian's chromium through Playwright (Playwright's own browser download is not reachable).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  local node_dir="$REPO_ROOT/tests/interop/node"
  # npm writes node_modules/.package-lock.json on every install: newer than the lock file means up to date.
  if [ ! "$node_dir/node_modules/.package-lock.json" -nt "$node_dir/package-lock.json" ]; then
    log "Installing the Node gRPC client for the interop tests (npm ci)"
    npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

psql_admin() { as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qtA $(printf '%q ' "$@")"; }

ensure_postgres() {
  command -v pg_lsclusters >/dev/null 2>&1 || apt_install postgresql
  local version cluster status
  read -r version cluster _ status _ < <(pg_lsclusters -h | head -n1)
  [ -n "${version:-}" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
  if [ "$status" != "online" ]; then
    log "Starting PostgreSQL $version/$cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
  fi
  wait_for 60 "PostgreSQL" pg_isready -q -h localhost
  # The default 100 connections run out when the test classes' service processes, a load run's 200 annotators and
  # the Trainer's replicas share one server; takes effect at a restart, so restart once when it is raised.
  local restart=false
  if [ "$(psql_admin -c "SHOW max_connections")" -lt "$ALP_PG_MAX_CONNECTIONS" ]; then
    log "Raising PostgreSQL max_connections to $ALP_PG_MAX_CONNECTIONS (restart)"
    psql_admin -c "ALTER SYSTEM SET max_connections = $ALP_PG_MAX_CONNECTIONS" >/dev/null
    restart=true
  fi
  if [ "$(psql_admin -c "SELECT setting FROM pg_settings WHERE name = 'shared_buffers'")" != \
       "$(psql_admin -c "SELECT pg_size_bytes('$ALP_PG_SHARED_BUFFERS') / 8192")" ]; then
    log "Setting PostgreSQL shared_buffers to $ALP_PG_SHARED_BUFFERS (restart)"
    psql_admin -c "ALTER SYSTEM SET shared_buffers = '$ALP_PG_SHARED_BUFFERS'" >/dev/null
    restart=true
  fi
  if [ "$restart" = true ]; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart
    wait_for 60 "PostgreSQL" pg_isready -q -h localhost
  fi
  psql_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ALP_DB_USER') THEN
        CREATE ROLE $ALP_DB_USER LOGIN CREATEDB;
      END IF;
    END \$\$;" >/dev/null
  # CREATEDB: the integration tests create (and drop) a database per run.
  psql_admin -c "ALTER ROLE $ALP_DB_USER LOGIN CREATEDB PASSWORD '$ALP_DB_PASSWORD';" >/dev/null
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$ALP_DB_NAME'")" != "1" ]; then
    log "Creating database $ALP_DB_NAME"
    psql_admin -c "CREATE DATABASE $ALP_DB_NAME OWNER $ALP_DB_USER;" >/dev/null
  fi
}

rabbit_running() { as_root rabbitmqctl -q status >/dev/null 2>&1; }

ensure_rabbitmq() {
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || apt_install rabbitmq-server
  export PATH="$PATH:/usr/sbin"
  if ! rabbit_running; then
    log "Starting RabbitMQ"
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  # The node needs a moment to register with epmd before await_startup can even reach it.
  wait_for 120 "RabbitMQ node (see /var/log/rabbitmq/)" as_root rabbitmqctl -q ping
  as_root timeout 120 rabbitmqctl -q await_startup >/dev/null || die "RabbitMQ did not start; see /var/log/rabbitmq/"
  if ! as_root rabbitmqctl -q list_vhosts | grep -qx "$ALP_RABBIT_VHOST"; then
    as_root rabbitmqctl -q add_vhost "$ALP_RABBIT_VHOST" >/dev/null
  fi
  if as_root rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$ALP_RABBIT_USER"; then
    as_root rabbitmqctl -q change_password "$ALP_RABBIT_USER" "$ALP_RABBIT_PASSWORD" >/dev/null
  else
    as_root rabbitmqctl -q add_user "$ALP_RABBIT_USER" "$ALP_RABBIT_PASSWORD" >/dev/null
  fi
  as_root rabbitmqctl -q set_permissions -p "$ALP_RABBIT_VHOST" "$ALP_RABBIT_USER" '.*' '.*' '.*' >/dev/null
}

# The environment every service and tool reads (the same variables docker-compose.yml and deploy/ set).
# Values are single-quoted: the connection string holds semicolons and the file is sourced by bash. Exported, so a
# plain `source .local/stack.env` (as the README says) gives alp and alp-admin their settings.
write_stack_env() {
  umask 077
  cat > "$STACK_ENV" <<ENV
export ConnectionStrings__Platform='Host=localhost;Port=5432;Database=$ALP_DB_NAME;Username=$ALP_DB_USER;Password=$ALP_DB_PASSWORD'
export RabbitMq__Host=localhost
export RabbitMq__Port=5672
export RabbitMq__VirtualHost=$ALP_RABBIT_VHOST
export RabbitMq__Username=$ALP_RABBIT_USER
export RabbitMq__Password=$ALP_RABBIT_PASSWORD
ENV
}

load_stack_env() {
  set -a
  # shellcheck disable=SC1090
  source "$STACK_ENV"
  set +a
}
