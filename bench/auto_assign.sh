#!/usr/bin/env bash
# Auto-assignment (issue 11), in a private cluster (port 5496):
#   - quote_tables latency p50 / p99 on 20-, 100- and 200-table floors (dense adjacency, up
#     to 5 tables per plan), through SQL, each call timed alone;
#   - auto_assign_booking against assign_tables_atomic_v2 of the plan it chose (target: at
#     least 0.7x the manual assign's throughput);
#   - plan quality: a simulated evening on a 40-table floor, several seeds, auto-assign
#     against a naive first fit: bookings seated and seats left empty.
# The 16-client race is test/client/auto_assign.test.js (client stage).
#   flock /tmp/allocator-pg.lock bash bench/auto_assign.sh [CALLS]     (default 200)
# SECTIONS=quote,throughput,quality (the default: all three) runs only some; SEEDS=N (default
# 5) simulates N evenings, seeds 1/(N+1) .. N/(N+1).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

calls=${1:-200}
sections=",${SECTIONS:-quote,throughput,quality},"
seeds=${SEEDS:-5}
port=5496
work=$(mktemp -d /tmp/allocator-bench-auto.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
trap 'stop_cluster "$data"' EXIT
start_cluster "$data" "$port" "synchronous_commit = off"
psql_() { cluster_psql "$data" "$port" -d postgres "$@"; }
psql_ -q -c "set client_min_messages = warning; create extension allocator cascade" -f "$ROOT/bench/auto_assign_setup.sql"

if [[ $sections == *,quote,* ]]; then
say "quote_tables latency ($calls calls each)"
psql_ -q -o /dev/null -c "INSERT INTO bench.floors (tables, party) VALUES (20, 4), (20, 14), (100, 4), (100, 14), (200, 4), (200, 14), (200, 30)" \
      -c "SELECT bench.floor(restaurant, tables) FROM bench.floors WHERE party IN (4, 14, 30)"
psql_ -c "SELECT l.tables, l.party, l.max_tables, l.plans, round(l.p50_ms::numeric, 3) AS p50_ms,
                 round(l.p99_ms::numeric, 3) AS p99_ms
            FROM (VALUES (20, 4), (20, 14), (100, 4), (100, 14), (200, 4), (200, 14), (200, 30)) v(n, party),
                 bench.quote_latency(v.n, v.party, 5, $calls) l"
fi

if [[ $sections == *,throughput,* ]]; then
# Backend CPU comes in clock ticks (10 ms at the usual 100 Hz): enough calls for a few hundred.
say "auto_assign_booking vs assign_tables_atomic_v2 of the same plan ($((calls * 5)) bookings each)"
psql_ -q -o /dev/null -c "INSERT INTO bench.floors (tables, party) VALUES (20, 2), (20, 10), (200, 2), (200, 10)" \
      -c "SELECT bench.floor(restaurant, tables) FROM bench.floors WHERE party IN (2, 10)"
psql_ -c "SELECT v.n AS tables, v.party, a.calls, round(a.auto_ms::numeric, 1) AS auto_ms,
                 round(a.manual_ms::numeric, 1) AS manual_ms, round(a.ratio::numeric, 2) AS auto_vs_manual,
                 round(a.auto_cpu_us::numeric) AS auto_cpu_us, round(a.manual_cpu_us::numeric) AS manual_cpu_us,
                 round(a.cpu_ratio::numeric, 2) AS cpu_ratio
            FROM (VALUES (20, 2), (20, 10), (200, 2), (200, 10)) v(n, party),
                 bench.auto_vs_manual(v.n, v.party, $((calls * 5)), $(getconf CLK_TCK)) a"
fi

if [[ $sections == *,quality,* ]]; then
say "plan quality: 300 bookings on a 40-table floor, $seeds seeds, auto-assign vs first fit"
psql_ -q -c "set client_min_messages = warning" -c "SELECT q.seed, q.strategy, q.seated, q.refused, q.empty_seats
            FROM generate_series(1, $seeds) n, bench.quality(round(n::numeric / ($seeds + 1), 4)::float8, 300) q
           ORDER BY 1, 2"
fi
echo "target: auto_vs_manual >= 0.7; auto-assign never seats fewer than first fit"
