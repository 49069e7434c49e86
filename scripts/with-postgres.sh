#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL: `scripts/with-postgres.sh CMD ARGS...`.
# The cluster lives in a fresh `mktemp -d`, HYGIENE_TEST_POSTGRES_URL points at it while CMD
# runs, and on exit (success, failure or Ctrl-C) the server is stopped and the folder removed.
# The command's exit code is kept. (scripts/ci-postgres.sh starts one by hand and leaves it up.)
set -euo pipefail

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/hygiene-pg.XXXXXX")"
if [ "$(id -u)" = 0 ]; then  # as root the server runs as `postgres`: it must reach the folder
  chown postgres:postgres "$ROOT"
  if ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    rmdir "$ROOT"  # $TMPDIR is closed to it
    ROOT="$(mktemp -d /tmp/hygiene-pg.XXXXXX)"
    chown postgres:postgres "$ROOT"
  fi
fi
export HYGIENE_PG_DATA="$ROOT/data"
HERE="$(cd "$(dirname "$0")" && pwd)"

cleanup() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -n "$bin" ] && [ -s "$HYGIENE_PG_DATA/PG_VERSION" ]; then
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$HYGIENE_PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    else
      "$bin/pg_ctl" -D "$HYGIENE_PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

HYGIENE_TEST_POSTGRES_URL="$("$HERE/ci-postgres.sh")"
export HYGIENE_TEST_POSTGRES_URL
set +e
"$@"
status=$?
set -e
exit "$status"
