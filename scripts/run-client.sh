#!/usr/bin/env bash
# node-postgres client tests (test/client/*.test.js, node's built-in runner) against a
# private cluster on port 5460 with the extension installed: many concurrent connections
# racing for the same tables. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=5460
database=allocator_client
client_dir="$ROOT/test/client"

work=$(mktemp -d /tmp/allocator-client.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
log="$work/node-test.log"
: >"$log"
# The server goes away however this script ends.
trap 'stop_cluster "$data"' EXIT

if ! node_postgres_available; then
    (cd "$client_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

status=0
# start_cluster preloads allocator; its conflict telemetry writes to the test database.
if start_cluster "$data" "$port" "allocator.database_name = '$database'" &&
    cluster_psql "$data" "$port" -d postgres -qc "create database $database" &&
    cluster_psql "$data" "$port" -d "$database" -qc "set client_min_messages = warning; create extension allocator cascade"; then
    mapfile -t tests < <(cd "$client_dir" && printf '%s\n' *.test.js | sort)
    set +e
    # Test files named explicitly: the same meaning on every node version (newer ones read
    # a directory argument as a glob pattern). timeout: a hung client must not hang CI.
    (cd "$client_dir" &&
        PGHOST="$data" PGPORT="$port" PGUSER=postgres PGDATABASE="$database" \
            timeout 600 node --test --test-reporter=tap "${tests[@]}") >"$log" 2>&1
    status=$?
    set -e
    cat "$log"
else
    status=1
    echo "could not set up the cluster for the client tests; server log:"
    tail -50 "$data/server.log" 2>/dev/null || true
fi

read -r passed failed < <(count_node_tap_results "$log" "$status")
# Keep the work dir (server log) only when something failed.
if [ "$failed" = 0 ]; then
    stop_cluster "$data"
    rm -rf "$work"
else
    echo "(work dir kept: $work)"
fi
echo "$passed $failed"
