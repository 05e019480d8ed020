#!/usr/bin/env bash
# One command for a newcomer: installs every dependency, builds and installs allocator,
# starts a private PostgreSQL 15 (pg_cron preloaded) in .pgdata/ of this checkout,
# creates a sample restaurant and walks through assign / conflict / merge / replay /
# unassign / hold / expiry / sweep / confirm / release. The cluster stays running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT=${ALLOCATOR_DEMO_PORT:-5499}
DATA="$ROOT/.pgdata/data"
DB=allocator_demo

bash "$ROOT/scripts/install-deps.sh"
bash "$ROOT/scripts/build.sh"

# The server runs as the postgres user and keeps its data inside this checkout, so
# postgres must be able to enter every directory above it (e.g. /root is 0700).
if [ "$(id -u)" = 0 ]; then
    dir="$ROOT"
    while [ "$dir" != "/" ]; do
        if ! runuser -u postgres -- test -x "$dir"; then
            say "granting the postgres user search (x) access to $dir (setfacl)"
            setfacl -m u:postgres:x "$dir"
        fi
        dir=$(dirname "$dir")
    done
    mkdir -p "$ROOT/.pgdata"
    chown postgres:postgres "$ROOT/.pgdata"
fi

say "starting PostgreSQL $PG_MAJOR in $DATA (port $PORT)"
start_cluster "$DATA" "$PORT" "cron.database_name = '$DB'" "allocator.database_name = '$DB'" "timezone = 'UTC'"

say "creating database $DB with allocator, pg_cron and a sample restaurant"
cluster_psql "$DATA" "$PORT" -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
cluster_psql "$DATA" "$PORT" -q -d "$DB" \
    -c "CREATE EXTENSION allocator CASCADE" -c "CREATE EXTENSION pg_cron" \
    -f "$ROOT/scripts/demo/sample_restaurant.sql"

say "demo"
cluster_psql "$DATA" "$PORT" -d "$DB" -f "$ROOT/scripts/demo/walkthrough.sql" 2>&1

cat <<TXT

The cluster is still running. Connect with:
    psql -h $DATA -p $PORT -U postgres $DB
Stop it with:
    runuser -u postgres -- $PG_BINDIR/pg_ctl -D $DATA stop
TXT
