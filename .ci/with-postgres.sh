#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, started and stopped here.
# PostgreSQL refuses to run as root, so the cluster belongs to an unprivileged user.
set -euo pipefail

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_PORT=${PG_PORT:-54329}
PG_DIR=$(mktemp -d /tmp/territoires-lab-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PG_DIR"
  RUN_AS=(runuser -u postgres --)
fi

stop() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop EXIT

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# autovacuum off: the suite empties and refills tables thousands of times, and statistics
# sampled at a random moment once made the planner pick a plan that ran for minutes.
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
  "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off" \
  start >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/territoires_lab"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PG_PORT"
"$@"
