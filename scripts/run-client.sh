#!/usr/bin/env bash
# node-postgres client tests (test/client/*.test.js, node's built-in runner) against a
# private cluster on port 5460 with the extension installed: many concurrent connections
# racing for the same tables. Prints "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=5460
database=allocator_client
client_dir="$ROOT/test/client"

node_stage_setup client "$client_dir"

status=0
# start_cluster preloads allocator; its conflict telemetry writes to the test database.
if start_cluster "$data" "$port" "allocator.database_name = '$database'" &&
    cluster_psql "$data" "$port" -d postgres -qc "create database $database" &&
    cluster_psql "$data" "$port" -d "$database" -qc "set client_min_messages = warning; create extension allocator cascade"; then
    set +e
    PGHOST="$data" PGPORT="$port" PGUSER=postgres PGDATABASE="$database" run_node_tests "$client_dir" "$log" 600
    status=$?
    set -e
else
    setup_failed "client tests" || status=$?
fi

finish_node_stage "$work" "$data" "$log" "$status"
