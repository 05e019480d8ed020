#!/usr/bin/env bash
# pgbench on a private cluster: allocator calls as ratios against a floor (the same rows
# written by plain SQL) measured in the same run, so the numbers compare across machines.
#   bash bench/run.sh [SECONDS_PER_RUN]     (default 15)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

seconds=${1:-15}
clients=2
work=$(mktemp -d /tmp/allocator-bench.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
port=5490
trap 'stop_cluster "$data"' EXIT
start_cluster "$data" "$port"
cluster_psql "$data" "$port" -q -d postgres -f "$ROOT/bench/setup.sql"

tps() {  # tps SCRIPT -> transactions per second (excluding connection time)
    PGHOST="$data" PGPORT=$port PGUSER=postgres "$PG_BINDIR/pgbench" -n -c "$clients" -j "$clients" \
        -T "$seconds" -f "$ROOT/bench/$1" postgres 2>&1 | tee "$work/$1.log" \
        | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

floor=$(tps floor_assign.sql)
assign=$(tps assign_unassign.sql)
staff=$(tps assign_unassign_staff.sql)
hold=$(tps hold_release.sql)

printf '\n%-28s %10s %10s\n' "workload ($clients clients, ${seconds}s)" "tps" "vs floor"
printf '%-28s %10.0f %10s\n' "floor (plain SQL insert+delete)" "$floor" "1.00"
printf '%-28s %10.0f %10.2f\n' "assign + unassign" "$assign" "$(echo "$assign / $floor" | bc -l)"
printf '%-28s %10.0f %10.2f\n' "assign + unassign, as staff" "$staff" "$(echo "$staff / $floor" | bc -l)"
printf '%-28s %10.0f %10.2f\n' "hold + release" "$hold" "$(echo "$hold / $floor" | bc -l)"
