#!/usr/bin/env bash
# What needs a real, preloaded server (pg_cron and allocator in shared_preload_libraries):
# test/server/*.test.js (node's built-in runner) against a private cluster on port 5470, one
# file at a time in the order of their names, each starting from the state the files before
# it left on that one server:
#   10_sweeper               the hold sweeper under pg_cron (bounded wait, 150 s)
#   20_conflicts             rolled-back conflicts and lock timeouts reach observability_events
#                            through the telemetry worker; the runbook's query, stats, alerts
#   30_dump                  pg_dump | psql keeps the allocator's rows and flags
#   40_telemetry_counters    other databases' conflicts, a burst beyond the ring, failed writes
#   50_worker_database       a hostile public schema; a worker database without the extension
# The tests use test/client's node-postgres (test/server/server.js says why). Prints
# "PASSED FAILED" as its last line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=5470
test_dir="$ROOT/test/server"

node_stage_setup server "$ROOT/test/client"

status=0
if start_cluster "$data" "$port"; then
    set +e
    PGHOST="$data" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres ALLOCATOR_SERVER_LOG="$data/server.log" \
        run_node_tests "$test_dir" "$log" 900 --test-concurrency=1
    status=$?
    set -e
    if [ $status -ne 0 ]; then
        echo "---- cron.job_run_details ----"
        cluster_psql "$data" "$port" -d postgres -At -c "SELECT status, return_message FROM cron.job_run_details" || true
        echo "---- server log (tail) ----"
        tail -30 "$data/server.log" || true
    fi
else
    setup_failed "server tests" || status=$?
fi

finish_node_stage "$work" "$data" "$log" "$status"
