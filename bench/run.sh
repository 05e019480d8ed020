#!/usr/bin/env bash
# Throughput of the allocator's calls as ratios to two floors measured in the same run, so
# the numbers compare across machines and runs:
#   - the bare floor: one INSERT into a bench-only table with a primary key, a unique key
#     and booking_table_assignments' GiST exclusion constraint;
#   - the "same rows" floor: the rows one single-table assign leaves behind (assignment,
#     mirror row, idempotency ledger row, zone pin), written by one plain-SQL statement.
#   - beside them, the "merge rows" floor: what a two-table merge leaves behind, written the
#     same way, which the merge is compared with too.
# Then, through the extension: single assign, merge (two adjacent tables, adjacency
# required), hold + confirm, hold + release and unassign, each with 2 clients on rows that
# never conflict, every transaction doing the same work; a contended workload (16 clients
# on one restaurant of 10 tables, one shared evening) with latency percentiles and a count
# of errors outside the error contract and of deadlocks; and the time to clear a backlog of
# 100,000 expired holds. Every workload is one pgbench run, warmed up and then cut into
# rounds; the report gives per-round tps, median, spread, last/first, the ratios, and a
# block of targets (printed, never asserted).
#
# The cluster runs with synchronous_commit = off (fsync stays on): a commit does not wait
# for its WAL flush, so tps measures the work, not this disk's fsync latency (with it, the
# old floor swung from 465 to 1,997 tps between runs). shared_buffers holds all the data.
# Between workloads the script vacuums and analyzes what the last one wrote and asks for a
# checkpoint, so neither lands in the next one's rounds because of its predecessor.
#
#   bash bench/run.sh [--quick] [--rounds N] [--seconds S]
#     default: 3 rounds of 20 s after a 10 s warm-up per workload (15 to 20 minutes);
#     --quick: 3 rounds of 5 s after 3 s (under 5 minutes). A bare number is --seconds.
#     --conf LINE (repeatable) adds a postgresql.conf line, to compare settings (jit = off).
# Runs the installed extension (make install) on its own port, 5490, in a scratch dir under
# /tmp (removed after a run that finished; kept, with pgbench's logs, after one that failed).
# Serialize it with the other cluster runs: flock /tmp/allocator-pg.lock bash bench/run.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/../scripts/lib.sh"

rounds=3
seconds=20
conf=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) seconds=5 ;;
        --rounds) rounds=$2; shift ;;
        --seconds) seconds=$2; shift ;;
        --conf) conf+=("$2"); shift ;;
        [0-9]*) seconds=$1 ;;
        *) echo "usage: bash bench/run.sh [--quick] [--rounds N] [--seconds S] [--conf 'POSTGRESQL.CONF LINE']..." >&2; exit 2 ;;
    esac
    shift
done
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 3 && $seconds =~ ^[0-9]+$ && $seconds -ge 1 ]] \
    || { echo "bench/run.sh: --rounds takes a whole number >= 3, --seconds one >= 1" >&2; exit 2; }
warmup=$(( seconds / 2 > 3 ? seconds / 2 : 3 ))
run_seconds=$(( warmup + rounds * seconds ))   # one pgbench run a workload
clients=2
contended_clients=16
backlog=100000
# Rates the ranges of bookings are sized for, with 25% to spare (the bare floor, which needs
# no bookings, at 3x). A range used up stops the run (its sequence errors out): it never
# measures no-ops.
floor_tps=10000
call_tps=8000

work=$(mktemp -d /tmp/allocator-bench.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
logs="$work/logs"
mkdir -p "$logs/probe"
port=5490
trap 'stop_cluster "$data"' EXIT

# fail MESSAGE: stops the run, keeping the work dir (server log, pgbench's logs).
fail() { echo "bench/run.sh: $*" >&2; echo "(work dir kept: $work)" >&2; exit 1; }
# sql [psql args...]: psql on the bench database, unaligned and tuples only.
sql() { cluster_psql "$data" "$port" -d postgres -qAt "$@"; }
# calc EXPR [DECIMALS]: awk's arithmetic, rounded to DECIMALS (2).
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# range_size TPS: bookings for a whole run at TPS with 25% to spare, in thousands.
range_size() { echo $(( ($1 * run_seconds * 5 / 4 + 999) / 1000 * 1000 )); }

# bench_pgbench NAME CLIENTS SCRIPT [OPTIONS...]: one pgbench run of bench/workloads/SCRIPT,
# logging each transaction to $logs/NAME.* (-l); a failed transaction or an aborted client
# stops the run. Sets `processed` to the transactions it ran.
bench_pgbench() {
    local name=$1 n=$2 script=$3 out failed
    shift 3
    out="$logs/$name.out"
    PGHOST="$data" PGPORT=$port PGUSER=postgres "$PG_BINDIR/pgbench" -n -c "$n" -j $(( n < 2 ? n : 2 )) \
        -l --log-prefix="$logs/$name" "$@" -f "$ROOT/bench/workloads/$script" postgres >"$out" 2>&1 \
        || { tail -20 "$out" >&2; fail "pgbench $script failed (a range used up shows as 'reached maximum value')"; }
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
    [ "${failed:-0}" = 0 ] || fail "pgbench $script: $failed failed transactions"
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
}

# split_rounds NAME [LATENCIES]: run NAME's transactions, by the time each ended (its
# per-transaction logs), from the first one to when the first client finished (so no round
# has fewer clients), cut into a warm-up and $rounds rounds of equal length, in the
# proportions of $warmup and $seconds whatever the run's length; prints "LENGTH TPS...", the
# rounds' length in seconds and each one's tps, and writes the latencies (us) of the rounds'
# transactions to the file LATENCIES.
split_rounds() {
    local files=("$logs/$1".[0-9]*)
    awk -v w="$warmup" -v r="$rounds" -v s="$seconds" -v out="${2:-/dev/null}" '
        FNR == NR { t = $5 + $6 / 1e6; if (NR == 1 || t < t0) t0 = t; if (t > last[$1]) last[$1] = t; next }
        FNR == 1 && !cut {
            for (c in last) if (!have++ || last[c] < t1) t1 = last[c]   # when the first client finished
            len = (t1 - t0) * s / (w + r * s); start = t0 + (t1 - t0) * w / (w + r * s); cut = 1
        }
        { x = ($5 + $6 / 1e6 - start) / len; if (x >= 0 && x <= r) { i = (x < r) ? int(x) + 1 : r; n[i]++; print $3 > out } }
        END {
            if (len <= 0) exit 1
            printf "%.1f", len
            for (i = 1; i <= r; i++) printf " %.0f", n[i] / len
            print ""
        }' <(cat "${files[@]}") <(cat "${files[@]}")
}

# summarize TPS...: "MEDIAN MIN MAX SPREAD% LAST/FIRST" of one workload's round tps.
summarize() {
    printf '%s\n' "$@" | awk '
        { v[++n] = $1 + 0; s[n] = v[n] }
        END {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
            median = (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
            printf "%.0f %.0f %.0f %.1f %.2f\n", median, s[1], s[n], 100 * (s[n] - s[1]) / median, v[n] / v[1]
        }'
}

declare -A label_of rounds_of median_of spread_of last_first_of note_of
order=()
# record NAME LABEL NOTE LENGTH TPS...: keeps one workload's rounds for the report.
record() {
    local name=$1 median lo hi spread last_first
    label_of[$name]=$2
    note_of[$name]=$3
    shift 4
    rounds_of[$name]="$*"
    read -r median lo hi spread last_first < <(summarize "$@")
    median_of[$name]=$median
    spread_of[$name]="$spread% ($lo-$hi)"
    last_first_of[$name]=$last_first
    order+=("$name")
}

# measure NAME LABEL SCRIPT CHECK [OPTIONS...]: settle, then one run of $clients
# clients (-T for the whole run unless OPTIONS say otherwise), cut into warm-up and rounds.
# CHECK is SQL that must be true afterwards: every transaction left its rows behind.
measure() {
    local name=$1 label=$2 script=$3 check=$4 note="" split
    shift 4
    [ $# -gt 0 ] || set -- -T "$run_seconds"
    settle
    bench_pgbench "$name" "$clients" "$script" "$@"
    [ "$(sql -c "SELECT bench.used('$name') = $processed AND ($check)")" = t ] \
        || fail "$name: its $processed transactions did not each leave their rows ($check)"
    split=$(split_rounds "$name") || fail "$name: too short to cut into $rounds rounds"
    [ "${split%% *}" = "$seconds.0" ] || note="rounds of ${split%% *} s"
    # shellcheck disable=SC2086
    record "$name" "$label" "$note" $split
}

# settle: before a workload, VACUUM ANALYZE every table that earlier ones wrote (what
# autovacuum would do soon, done now and not during this workload's rounds; a table never
# written stays unanalyzed, see bench/run_setup.sql), then a checkpoint.
settle() {
    sql <<'SQL'
SELECT format('VACUUM ANALYZE %s', string_agg(relid::regclass::text, ', '))
  FROM pg_stat_user_tables WHERE n_dead_tup + n_ins_since_vacuum > 0 HAVING count(*) > 0 \gexec
SQL
    sql -c CHECKPOINT
}

# target WHAT VALUE CONDITION: one line of the targets block; CONDITION is awk on v.
target() {
    local verdict="NOT met"
    awk -v v="$2" "BEGIN { exit !($3) }" && verdict="met"
    printf '  %-62s %7s  %s\n' "$1" "$2" "$verdict"
}

say "setup: bench/run_setup.sql"
start_cluster "$data" "$port" \
    "synchronous_commit = off" \
    "shared_buffers = 2GB" \
    "max_wal_size = 16GB" \
    "checkpoint_timeout = 1h" \
    ${conf[@]+"${conf[@]}"}
setup_started=$(date +%s)
sql -v bare="$(range_size $((3 * floor_tps)))" -v same_rows="$(range_size $floor_tps)" \
    -v assign="$(range_size $call_tps)" -v merge="$(range_size $call_tps)" \
    -v hold_confirm="$(range_size $call_tps)" -v hold_release="$(range_size $call_tps)" \
    -v merge_rows="$(range_size $call_tps)" \
    -f "$ROOT/bench/run_setup.sql" >/dev/null
sql -c "SELECT format('%s bookings, %s tables, in %s s', (SELECT count(*) FROM bookings),
                      (SELECT count(*) FROM table_inventory), $(date +%s) - $setup_started)"

measure bare "bare floor (INSERT, GiST excl.)" floor_bare.sql \
    "(SELECT count(*) FROM bench.bare_assignments) = bench.used('bare')"
measure same_rows "same-rows floor (plain SQL)" floor_same_rows.sql "bench.assigned('same_rows') = bench.used('same_rows')"
measure merge_rows "merge-rows floor (plain SQL)" floor_merge_rows.sql \
    "bench.assigned('merge_rows') = 2 * bench.used('merge_rows')"
measure assign "single assign" assign.sql "bench.assigned('assign') = bench.used('assign')"
measure merge "merge (2 adjacent tables)" merge.sql "bench.assigned('merge') = 2 * bench.used('merge')"
measure hold_confirm "hold + confirm" hold_confirm.sql \
    "bench.assigned('hold_confirm') = bench.used('hold_confirm') AND NOT EXISTS (SELECT FROM table_holds)"
measure hold_release "hold + release" hold_release.sql \
    "bench.assigned('hold_release') = 0 AND NOT EXISTS (SELECT FROM table_holds)"
# As many unassigns as the assign rounds assigned, split over the clients (-t is per client).
assigned=$(sql -c "SELECT bench.used('assign')")
measure unassign "unassign" unassign.sql \
    "bench.assigned('assign') = $assigned - bench.used('unassign')" -t $(( assigned / clients ))

# The contended workload: per-transaction logs (latencies), outcomes from bench.outcomes.
settle
bench_pgbench contended "$contended_clients" contended.sql -T "$run_seconds"
split=$(split_rounds contended "$logs/contended.latencies") || fail "contended: too short to cut into $rounds rounds"
# shellcheck disable=SC2086
record contended "contended (16 clients, 10 tables)" "" $split
read -r p50 p99 max_ms < <(sort -n "$logs/contended.latencies" \
    | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", v[int(NR * 0.5 + 0.999)] / 1000, v[int(NR * 0.99 + 0.999)] / 1000, v[NR] / 1000 }')
read -r outside deadlocks < <(sql -F ' ' -c "SELECT count(*) FILTER (WHERE sqlstate NOT IN ('00000', '22023', 'P0002', '23514', '23P01', '55P03')),
                                                   count(*) FILTER (WHERE sqlstate = '40P01')
                                              FROM bench.outcomes WHERE workload = 'contended'")
outcomes=$(sql -c "SELECT format('    %-9s %7s calls: %s', action, sum(n), string_agg(sqlstate || ' ' || n, ', ' ORDER BY sqlstate))
                     FROM (SELECT action, sqlstate, count(*) AS n FROM bench.outcomes WHERE workload = 'contended'
                            GROUP BY 1, 2) o GROUP BY action ORDER BY action")
problems=$(sql -c "SELECT count(*) FROM allocator_verify()")

# The backlog: the contended evening's live holds go first, so table_holds holds only it.
sql -c "SELECT count(release_table_hold(id)) FROM table_holds" >/dev/null
settle
written=$(sql -v holds="$backlog" -f "$ROOT/bench/profile_expired_holds.sql" | sed 's/|/, /g')
sql -c "ANALYZE table_holds, table_hold_members, allocations"
sql -c CHECKPOINT
if [ "$(sql -c "SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'run_hold_sweeper' AND prokind = 'p'
                                                  AND pronamespace = 'public'::regnamespace)")" = t ]; then
    sweep_label="CALL run_hold_sweeper()"
    # sweep: clears the backlog as the pg_cron job does, and says how many it swept.
    sweep() { echo "  run_hold_sweeper swept $(sql -c "CALL run_hold_sweeper()") (the probe removed the rest in its way)"; }
else
    sweep_label="no run_hold_sweeper(): sweep_expired_holds(10000) a transaction until 0"
    # sweep: bench/profile_sweep.sql's loop, each call its own transaction, and its summary.
    sweep() { sql -v limit=10000 -f "$ROOT/bench/profile_sweep.sql" 2>&1 | sed 's/^psql:[^ ]* NOTICE:  /    /'; }
fi

# sweep_probe: one client holding and releasing backlog tables at 100 tps, in 1-second
# pgbench runs (each its own log), until $work/sweep.done appears.
sweep_probe() {
    local i=0
    while [ ! -e "$work/sweep.done" ]; do
        i=$((i + 1))
        bench_pgbench "probe/$i" 1 sweep_probe.sql -T 1 -R 100
    done
}
sweep_probe &
probe_pid=$!
sleep 0.5
sweep_started=$(date +%s.%N)
sweep_output=$(sweep)
sweep_seconds=$(calc "$(date +%s.%N) - $sweep_started")
touch "$work/sweep.done"
wait "$probe_pid" || fail "the sweep probe failed"
holds_left=$(sql -c "SELECT count(*) FROM table_holds")
# Latency without the schedule lag of -R (pgbench counts from the scheduled start).
read -r probe_calls probe_max_ms < <(cat "$logs"/probe/*.[0-9]* \
    | awk '{ n++; if ($3 - $7 > m) m = $3 - $7 } END { printf "%d %.1f\n", n, m / 1000 }')
probe_errors=$(sql -c "SELECT count(*) FILTER (WHERE sqlstate <> '00000') FROM bench.outcomes WHERE workload = 'sweep probe'")

say "report"
sql -c "SELECT 'allocator ' || extversion || ', ' || split_part(version(), ' (', 1) || ', ' || '$(nproc) cores'
          FROM pg_extension WHERE extname = 'allocator'"
echo "synchronous_commit = off (fsync on): tps is the work, not commit flushes."
echo "$clients clients (-c $clients -j $clients, -n) except contended ($contended_clients); each workload one pgbench run:"
echo "${warmup} s warm-up, then $rounds rounds of ${seconds} s; spread = (max - min) / median; x = median over the floor's median."
printf '\n%-32s %7s  %-22s %10s %7s %7s  %s\n' workload median "spread (min-max)" last/first "x bare" "x same" "tps by round"
for name in "${order[@]}"; do
    bare_x=$(calc "${median_of[$name]} / ${median_of[bare]}")
    same_x=$(calc "${median_of[$name]} / ${median_of[same_rows]}")
    [ "$name" = contended ] && bare_x=- same_x=-
    printf '%-32s %7s  %-22s %10s %7s %7s  %s%s\n' "${label_of[$name]}" "${median_of[$name]}" "${spread_of[$name]}" \
        "${last_first_of[$name]}" "$bare_x" "$same_x" "${rounds_of[$name]}" "${note_of[$name]:+  (${note_of[$name]})}"
done
echo "merge over the merge-rows floor (the same rows in plain SQL): $(calc "${median_of[merge]} / ${median_of[merge_rows]}")"

echo
echo "contended: bookings 501-520 on one evening, random confirm / release / unassign / assign / merge / hold:"
echo "  latency over the rounds: p50 $p50 ms, p99 $p99 ms, max $max_ms ms"
echo "  errors outside the contract: $outside; deadlocks (40P01): $deadlocks; allocator_verify() problems after: $problems"
echo "  outcomes (warm-up included):"
echo "$outcomes"

echo
echo "backlog: $backlog expired holds (holds, members, mirror rows written: $written), analyzed; $sweep_label"
echo "$sweep_output"
sweep_rate=$(calc "$backlog / $sweep_seconds" 0)
echo "  cleared in $sweep_seconds s, $sweep_rate holds/s; table_holds rows left: $holds_left"
echo "  probe (1 client, hold + release of backlog tables, 100/s): $probe_calls calls, $probe_errors errors, max latency $probe_max_ms ms"

echo
echo "targets (printed, not asserted):"
target "single assign >= 0.4x bare floor" "$(calc "${median_of[assign]} / ${median_of[bare]}")" 'v >= 0.4'
target "merge >= 0.33x bare floor" "$(calc "${median_of[merge]} / ${median_of[bare]}")" 'v >= 0.33'
target "hold + confirm >= 0.12x bare floor" "$(calc "${median_of[hold_confirm]} / ${median_of[bare]}")" 'v >= 0.12'
for name in "${order[@]}"; do
    target "last/first in 0.8-1.2: ${label_of[$name]}" "${last_first_of[$name]}" 'v >= 0.8 && v <= 1.2'
done
target "contended errors outside the contract = 0" "$outside" 'v == 0'
target "contended deadlocks = 0" "$deadlocks" 'v == 0'
target "100k expired-hold backlog < 5 s, none left (s)" "$sweep_seconds" "v < 5 && $holds_left == 0"

stop_cluster "$data"
rm -rf "$work"
