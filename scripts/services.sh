#!/usr/bin/env bash
# Throwaway PostgreSQL + Redis for running the tests against real services.
#
#   eval "$(bash scripts/services.sh start)"   # prints `export TEST_DATABASE_URL=... TEST_REDIS_URL=...`
#   npm test
#   bash scripts/services.sh stop              # stops both, deletes the cluster
#
# Ports: CUNBO_PG_PORT (default 55432), CUNBO_REDIS_PORT (default 56379); both
# listen on 127.0.0.1 only. PostgreSQL uses trust auth for user `postgres`
# (a superuser, so the harness can CREATE DATABASE per test file). Data lives
# in /tmp/cunbo-pg-<port> and /tmp/cunbo-redis-<port> and is deleted by `stop`.
#
# `start` is safe to run twice: services we started earlier are reused. Only the
# export lines go to stdout; all messages go to stderr so that eval works.
set -euo pipefail

PG_PORT=${CUNBO_PG_PORT:-55432}
REDIS_PORT=${CUNBO_REDIS_PORT:-56379}
DB_NAME=cunbo_test

# The ports become part of paths that `stop` deletes with rm -rf: insist on numbers.
[[ $PG_PORT =~ ^[0-9]+$ && $REDIS_PORT =~ ^[0-9]+$ ]] ||
  { echo "services: CUNBO_PG_PORT/CUNBO_REDIS_PORT must be numbers" >&2; exit 2; }

PG_BASE=/tmp/cunbo-pg-$PG_PORT # socket, logs; owned by the user running postgres
PG_DATA=$PG_BASE/data
REDIS_BASE=/tmp/cunbo-redis-$REDIS_PORT
REDIS_PIDFILE=$REDIS_BASE/redis.pid

DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME
REDIS_URL=redis://127.0.0.1:$REDIS_PORT

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

# Anything listening on 127.0.0.1:<port>? (bash's /dev/tcp, no extra tools needed)
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Debian installs the server binaries outside PATH, one dir per major version;
# take the newest. Fall back to PATH for non-Debian developer machines.
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [[ -n $d && -x $d/initdb ]]; then
    echo "$d"
  elif command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
  else
    die "PostgreSQL server binaries (initdb) not found"
  fi
}

# PostgreSQL refuses to run as root, so as root run its tools as `postgres`.
# cd / first: the postgres user may not be allowed into the caller's directory.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

pg_running() {
  [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

redis_pid() { [[ -f $REDIS_PIDFILE ]] && cat "$REDIS_PIDFILE"; }

# Our redis: the pid in our pidfile is alive (and, where /proc exists, really
# is a redis-server, not an unrelated process that got the pid later).
redis_running() {
  local pid
  pid=$(redis_pid) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ ! -d /proc/$pid ]] || [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis* ]]
}

# wait_for <seconds> <description> <command...>
wait_for() {
  local secs=$1 what=$2
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what did not become ready within ${secs}s"
}

start_pg() {
  if pg_running; then
    log "PostgreSQL already running on port $PG_PORT (reusing $PG_DATA)"
  else
    port_open "$PG_PORT" &&
      die "port $PG_PORT is in use by something else; set CUNBO_PG_PORT to a free port"

    # Not running: always start from a fresh cluster (it is throwaway anyway;
    # this also clears leftovers of a crashed run).
    rm -rf "$PG_BASE"
    mkdir -p "$PG_BASE"
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (is the postgresql package installed?)"
      chown postgres: "$PG_BASE"
    fi
    chmod 700 "$PG_BASE"

    # UTF8 + C.UTF-8 locale: the same as PGlite, so both backends sort/compare alike.
    if ! as_pg "$PGBIN/initdb" -D "$PG_DATA" --auth=trust -U postgres \
      --encoding=UTF8 --locale=C.UTF-8 >"$PG_BASE/initdb.log" 2>&1; then
      cat "$PG_BASE/initdb.log" >&2
      die "initdb failed"
    fi

    # Socket in our own dir: /var/run/postgresql may not exist or belong to a
    # system cluster. fsync stays on so we test the same durability as production.
    # max_connections: each test file gets its own database and pool, in parallel.
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- cunbo test cluster (scripts/services.sh) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_BASE'
fsync = on
max_connections = 200
EOF

    if ! as_pg "$PGBIN/pg_ctl" start -s -w -t 60 -D "$PG_DATA" -l "$PG_BASE/postgres.log"; then
      cat "$PG_BASE/postgres.log" >&2 || true
      die "PostgreSQL failed to start"
    fi
    log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') started on 127.0.0.1:$PG_PORT ($PG_DATA)"
  fi

  wait_for 30 PostgreSQL "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"

  # Create the test database unless a previous `start` already did.
  local admin=postgres://postgres@127.0.0.1:$PG_PORT/postgres
  if [[ -z $("$PGBIN/psql" -X -q -tA "$admin" -c "select 1 from pg_database where datname = '$DB_NAME'") ]]; then
    "$PGBIN/psql" -X -q "$admin" -c "create database $DB_NAME" >/dev/null
  fi
}

start_redis() {
  if redis_running; then
    log "Redis already running on port $REDIS_PORT (reusing, pid $(redis_pid))"
  else
    port_open "$REDIS_PORT" &&
      die "port $REDIS_PORT is in use by something else; set CUNBO_REDIS_PORT to a free port"
    rm -rf "$REDIS_BASE"
    mkdir -p "$REDIS_BASE"
    # No persistence at all (--save "" and no AOF): test data is disposable.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
      --save "" --appendonly no --dir "$REDIS_BASE" \
      --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_BASE/redis.log" ||
      die "redis-server failed to start (see $REDIS_BASE/redis.log)"
    log "Redis $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2) started on 127.0.0.1:$REDIS_PORT"
  fi
  # redis-cli exits 0 even on errors; check for the actual PONG.
  wait_for 30 Redis bash -c "[[ \$(redis-cli -h 127.0.0.1 -p $REDIS_PORT ping) == PONG ]]"
}

stop_pg() {
  if pg_running; then
    # fast = disconnect clients and shut down cleanly; immediate if that hangs.
    as_pg "$PGBIN/pg_ctl" stop -s -w -t 30 -D "$PG_DATA" -m fast ||
      as_pg "$PGBIN/pg_ctl" stop -s -w -t 30 -D "$PG_DATA" -m immediate ||
      die "could not stop PostgreSQL in $PG_DATA"
    log "PostgreSQL on port $PG_PORT stopped"
  fi
  rm -rf "$PG_BASE"
}

stop_redis() {
  if redis_running; then
    local pid
    pid=$(redis_pid)
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    # Still there (e.g. not answering)? It is ours (pid from our pidfile): kill it.
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    log "Redis on port $REDIS_PORT stopped"
  fi
  rm -rf "$REDIS_BASE"
}

case ${1:-} in
  start)
    bash "$(dirname "${BASH_SOURCE[0]}")/ensure-system-deps.sh" postgresql redis-server
    PGBIN=$(pg_bindir)
    # Everything but the export lines goes to stderr. Do not keep the original
    # stdout open in another fd: the daemons would inherit it, and a caller's
    # "$(... start)" would then wait for them to exit, i.e. forever.
    {
      start_pg
      start_redis
    } >&2
    echo "export TEST_DATABASE_URL=$DATABASE_URL"
    echo "export TEST_REDIS_URL=$REDIS_URL"
    ;;
  stop)
    # Stopping must work even if nothing (or only half) was started.
    PGBIN=$(pg_bindir 2>/dev/null || echo /nonexistent)
    stop_pg
    stop_redis
    ;;
  *)
    echo "usage: $0 start|stop   (ports: CUNBO_PG_PORT=$PG_PORT CUNBO_REDIS_PORT=$REDIS_PORT)" >&2
    exit 2
    ;;
esac
