#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster for the test suite and print the URL to use:
#   eval "$(bash .ci/start-postgres.sh)"   →   WUFEI_TEST_PG_URL=postgresql+psycopg://...
# Installs nothing (PostgreSQL 15 must be installed).  Runs the server as the `postgres` OS
# user (root may not run initdb), on a free local port (from 55432 up), with its data under
# /tmp.  Trust authentication on 127.0.0.1 only: a test cluster, never a production one.
# Idempotent: if our cluster is already running, it is reused.
set -euo pipefail

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
BASE="${WUFEI_PG_BASE:-/tmp/wufei-pg}"
DATA="$BASE/data"
DB="wufei_test"
STATE="$BASE/port"

[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 not found in $PGBIN" >&2; exit 1; }

as_pg() {
  if [ "$(id -un)" = "postgres" ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

port_free() {
  ! (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

mkdir -p "$BASE"
chown postgres:postgres "$BASE" 2>/dev/null || true

if [ -f "$STATE" ] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  PORT="$(cat "$STATE")"
else
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 \
      || as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$BASE/initdb.log" 2>&1
  fi
  PORT=55432
  while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
  as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 \
    -o "-p $PORT -k $BASE -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" start >/dev/null
  echo "$PORT" > "$STATE"
fi

if ! as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi

echo "export WUFEI_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
