#!/usr/bin/env bash
# manual_context on a restaurant with 200 tables and 10,000 bookings, in a private cluster:
# pgbench tps against a floor measured in the same run (the booking read by primary key),
# then EXPLAIN ANALYZE of each statement inside manual_context (auto_explain). The plan to
# look at is the big one: per table of the restaurant, one probe of each exclusion
# constraint's GiST index (table, window), so the cost follows the restaurant's size, not
# the database's.
#   bash bench/manual_context.sh [SECONDS_PER_RUN]     (default 10)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

seconds=${1:-10}
port=5480
work=$(mktemp -d /tmp/allocator-bench-context.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
trap 'stop_cluster "$data"' EXIT
start_cluster "$data" "$port"

say "building the restaurant (200 tables, 10,000 bookings, each assigned)"
cluster_psql "$data" "$port" -q -d postgres -f "$ROOT/bench/manual_context_setup.sql"

pgbench_run() {  # pgbench_run SCRIPT -> "tps latency_ms"
    PGHOST="$data" PGPORT=$port PGUSER=postgres "$PG_BINDIR/pgbench" -n -T "$seconds" \
        -f "$ROOT/bench/$1" postgres >"$work/$1.log" 2>&1
    echo "$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/$1.log") $(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/$1.log")"
}

say "pgbench, 1 client, ${seconds}s each"
read -r floor_tps floor_ms < <(pgbench_run floor_booking.sql)
read -r context_tps context_ms < <(pgbench_run manual_context.sql)
printf '\n%-44s %10s %12s %10s\n' "workload" "tps" "latency ms" "vs floor"
printf '%-44s %10.0f %12.3f %10s\n' "floor: SELECT * FROM bookings WHERE id = ..." "$floor_tps" "$floor_ms" "1.00"
printf '%-44s %10.0f %12.3f %10.3f\n' "manual_context(booking)" "$context_tps" "$context_ms" \
    "$(echo "$context_tps / $floor_tps" | bc -l)"
size=$(cluster_psql "$data" "$port" -d postgres -Atc \
    "SELECT pg_column_size(manual_context('0000000c-0000-4000-8000-000000005555'))")
echo "one context: $size bytes of jsonb"

say "EXPLAIN ANALYZE of each statement inside manual_context (query texts left out)"
# auto_explain prints each statement's text before its plan: keep the plans only.
cluster_psql "$data" "$port" -d postgres -q 2>&1 >/dev/null <<'SQL' | tee "$work/explain.log" \
    | awk '/^Query Text:/ { skip = 1; next } /^NOTICE:/ || /\(cost=/ { skip = 0 } !skip'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SELECT manual_context('0000000c-0000-4000-8000-000000005555');
SQL
