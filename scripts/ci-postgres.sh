#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the tests and print its URL (export it as
# HYGIENE_TEST_POSTGRES_URL). Idempotent: installs Debian's postgresql when missing (as root),
# reuses a cluster this script already started, else initialises one in $HYGIENE_PG_DATA
# (default /tmp/hygiene-pg) listening on 127.0.0.1 only, on 5432 or the next free port.
# make test uses scripts/with-postgres.sh instead: a server in a mktemp -d, removed on exit.
# Runs the server as the `postgres` system user when started as root (initdb refuses root).
set -euo pipefail

DATA="${HYGIENE_PG_DATA:-/tmp/hygiene-pg}"
DB="${HYGIENE_PG_DATABASE:-hygiene_test}"
LOG="$DATA.log"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

BIN="$(find_bin)"
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BIN="$(find_bin)"
  else
    echo "ci-postgres: PostgreSQL is not installed and apt-get (as root) is unavailable" >&2
    exit 1
  fi
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
OWNER="$( [ "$(id -u)" = 0 ] && echo postgres || id -un )"

free_port() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            print(port)
            break
        except OSError:
            port += 1
PY
}

if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
  chmod 700 "$DATA"
  as_owner "$BIN/initdb" -D "$DATA" -U "$OWNER" --auth=trust -E UTF8 >/dev/null
fi

if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  PORT="$(cat "$DATA/hygiene.port")"
else
  PORT="$(free_port "${HYGIENE_PG_PORT:-5432}")"
  echo "$PORT" | as_owner tee "$DATA/hygiene.port" >/dev/null
  touch "$LOG" && { [ "$(id -u)" = 0 ] && chown postgres "$LOG" || true; }
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c max_connections=200" start >/dev/null
fi

if ! as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$OWNER" -d postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$OWNER" "$DB"
fi

echo "postgresql://$OWNER@127.0.0.1:$PORT/$DB"
