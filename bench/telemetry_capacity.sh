#!/usr/bin/env bash
# Capacity of the conflict telemetry: how many conflicts per second are recorded without
# loss. pgbench provokes 23P01 refusals (10 per transaction, each client on its own table)
# first as fast as it can, then at fixed rates. Each run compares the conflicts raised
# (counted by pgbench) with what allocator_telemetry_stats() says was recorded, written and
# dropped (ring full), and with the rows that reached observability_events.
#   bash bench/telemetry_capacity.sh [SECONDS_PER_RUN] [CLIENTS] [RATE...]
#   defaults: 20 s, 2 clients, rates 500 1000 2000 3000 4000 (conflicts per second)
# Runs its own preloaded server (port 5610) on the installed extension (make install).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

seconds=${1:-20}
clients=${2:-2}
shift $(($# < 2 ? $# : 2))
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(500 1000 2000 3000 4000)
per_transaction=10   # refusals per pgbench transaction (bench/telemetry_conflicts.sql)

work=$(mktemp -d /tmp/allocator-telemetry-bench.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
port=5610
trap 'stop_cluster "$data"; rm -rf "$work"' EXIT
start_cluster "$data" "$port"
sql() { cluster_psql "$data" "$port" -d postgres -At "$@"; }
sql -q -f "$ROOT/bench/telemetry_capacity_setup.sql" >/dev/null
# The counters by name; declared here with every column the C function fills, dropped
# included, whatever the installed allocator_telemetry_stats() declares.
sql -q -c "CREATE FUNCTION bench_telemetry_stats(OUT conflicts_recorded bigint, OUT events_written bigint,
               OUT insert_failures bigint, OUT dropped bigint, OUT other_database bigint, OUT pending integer)
           RETURNS record LANGUAGE c AS '\$libdir/allocator', 'allocator_telemetry_stats'"
stats() { sql -F ' ' -c "SELECT s.*, (SELECT count(*) FROM observability_events) FROM bench_telemetry_stats() s"; }

printf '%-10s %9s %9s %9s %9s %9s %9s %9s %9s\n' "target/s" "raised" "raised/s" "recorded" "written" \
    "written/s" "dropped" "failed" "rows"
run() {  # run RATE|max
    local rate=$1 throttle=() out
    [ "$rate" = max ] || throttle=(-R "$(echo "$rate / $per_transaction" | bc -l)")
    read -r r0 w0 f0 d0 _ _ e0 < <(stats)
    out=$(PGHOST="$data" PGPORT=$port PGUSER=postgres "$PG_BINDIR/pgbench" -n -c "$clients" -j "$clients" \
        -T "$seconds" "${throttle[@]}" -f "$ROOT/bench/telemetry_conflicts.sql" postgres 2>&1) ||
        { echo "$out"; exit 1; }
    local transactions written_during
    transactions=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    written_during=$(sql -c "SELECT events_written FROM bench_telemetry_stats()")
    for _ in $(seq 1 120); do   # let the worker drain what is left
        [ "$(sql -c "SELECT pending FROM bench_telemetry_stats()")" = 0 ] && break
        sleep 0.5
    done
    read -r r1 w1 f1 d1 _ _ e1 < <(stats)
    local raised=$((transactions * per_transaction))
    printf '%-10s %9d %9.0f %9d %9d %9.0f %9d %9d %9d\n' "$rate" "$raised" "$(echo "$raised / $seconds" | bc -l)" \
        $((r1 - r0)) $((w1 - w0)) "$(echo "($written_during - $w0) / $seconds" | bc -l)" $((d1 - d0)) $((f1 - f0)) \
        $((e1 - e0))
}

run max
for rate in "${rates[@]}"; do run "$rate"; done
echo
echo "($clients clients, ${seconds} s per run, $(nproc) cores; written/s: during the run, while the clients ran;"
echo " recorded = written + dropped + failed when nothing is pending)"
