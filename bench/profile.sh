#!/usr/bin/env bash
# Where each allocator call spends its time: pgbench per workload on a private cluster with
# pg_stat_statements tracking nested statements (track = all), so the SQL the C functions
# run through SPI, and the foreign-key (RI) work those fire, show up one by one, with their
# planning. Prints, per workload, tps (and its ratio to the plain-SQL floor measured in the
# same run) and the top statements by total time; the plans of the occupants read before
# and after hold churn; and how fast the sweeper clears a backlog of expired holds.
# bench/README.md says what each workload is and what was measured.
#   bash bench/profile.sh [SECONDS_PER_RUN]     (default 20: about 4 minutes in all)
# Runs the installed extension (make install) on its own port, 5491. Serialize it with the
# other cluster runs: flock /tmp/allocator-pg.lock bash bench/profile.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/../scripts/lib.sh"

seconds=${1:-20}
warmup=5            # seconds of each workload run before the counters are reset
clients=2
backlog=100000      # expired holds for the sweeper
slow_ms=1           # auto_explain logs the plan of any statement slower than this

work=$(mktemp -d /tmp/allocator-profile.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
data="$work/data"
port=5491
# Stop the server however the script ends: a server left running would keep holding the
# caller's flock descriptor and block every other cluster run.
trap 'stop_cluster "$data"; rm -rf "$work"' EXIT
# The last shared_preload_libraries line wins: start_cluster's two, and ours.
# track_planning: a statement planned anew on every call (a custom plan) costs its
# planning every time, and that is only seen there. auto_explain (timing only, as
# pg_stat_statements does: no ANALYZE) logs the plan a slow statement actually ran with,
# nested ones included: a bad cached plan shows there, where an EXPLAIN run afterwards,
# with other statistics, may plan it differently.
start_cluster "$data" "$port" \
    "shared_preload_libraries = 'pg_cron,allocator,pg_stat_statements'" \
    "pg_stat_statements.track = all" \
    "pg_stat_statements.track_utility = off" \
    "pg_stat_statements.track_planning = on" \
    "session_preload_libraries = 'auto_explain'" \
    "auto_explain.log_min_duration = '${slow_ms}ms'" \
    "auto_explain.log_nested_statements = on"

# psql for set-up and reports: auto_explain off, so only the workloads are in the log.
sql() { PGOPTIONS="-c auto_explain.log_min_duration=-1" cluster_psql "$data" "$port" -d postgres -P pager=off "$@"; }
pgbench_run() {  # pgbench_run SCRIPT SECONDS [OPTIONS...] -> pgbench's output
    local script=$1 run_seconds=$2
    shift 2
    PGHOST="$data" PGPORT=$port PGUSER=postgres "$PG_BINDIR/pgbench" -n -c "$clients" -j "$clients" \
        -T "$run_seconds" "$@" -f "$ROOT/bench/$script" postgres 2>&1
}
log_size() { stat -c %s "$data/server.log"; }
reset_counters() { sql -qAtc 'SELECT pg_stat_statements_reset()' >/dev/null; }

say "setup: bench/setup.sql, bench/profile_setup.sql"
sql -q -f "$ROOT/bench/setup.sql" >/dev/null
sql -q -f "$ROOT/bench/profile_setup.sql" >/dev/null
sql -Atc "SELECT 'allocator ' || extversion || ', ' || version() FROM pg_extension WHERE extname = 'allocator'"

# statements PER_COUNT: the top statements since the last reset, by total execution time.
# per_xact divides calls by PER_COUNT (the workload's transactions). "% of calls" is the
# share of the time of the calls that were made (by pgbench, or by the sweep loop), which
# includes everything nested in them, the planning of nested statements too. plans counts
# plannings: about one per call for a statement planned anew each time (a custom plan), a
# few per connection for one whose cached generic plan is reused. A nested statement's
# time includes the RI checks and cascades it fired, so the summary adds up the SPI
# statements without them, to count nothing twice.
statements() {
    sql -q -v per="$1" <<'SQL'
CREATE TEMP VIEW s AS
SELECT bench_statement_label(query, caller) AS statement, caller, query ~ '^(SELECT \$\d+|DELETE) FROM ONLY ' AS ri,
       calls, rows, total_exec_time AS total, mean_exec_time AS mean, plans, total_plan_time, mean_plan_time
  FROM (SELECT *, toplevel OR query ~ '^SELECT sweep_expired_holds\(' AS caller FROM pg_stat_statements) p
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND calls > 0                -- PL/pgSQL's simple expressions are planned, never executed
   AND query NOT LIKE '%pg_stat_statements%';
SELECT statement, calls, round(calls::numeric / :per, 2) AS per_xact, round(mean::numeric, 3) AS mean_ms,
       round(total::numeric) AS total_ms,
       round((100 * total / nullif(sum(total) FILTER (WHERE caller) OVER (), 0))::numeric, 1) AS "% of calls",
       rows, plans, round(mean_plan_time::numeric, 3) AS mean_plan_ms
  FROM s ORDER BY total DESC LIMIT 25;
SELECT round(sum(calls) FILTER (WHERE NOT caller AND NOT ri) / :per, 2) AS "SPI statements per xact",
       round(sum(calls) FILTER (WHERE ri) / :per, 2) AS "RI checks+cascades per xact",
       round(sum(plans) FILTER (WHERE NOT caller AND NOT ri) / :per, 2) AS "SPI plannings per xact",
       round((1000 * sum(total) FILTER (WHERE caller) / :per)::numeric) AS "us per xact in calls",
       round((100 * sum(total) FILTER (WHERE NOT caller AND NOT ri)
              / nullif(sum(total) FILTER (WHERE caller), 0))::numeric, 1) AS "% of it in SPI statements",
       round((100 * sum(total_plan_time) FILTER (WHERE NOT caller AND NOT ri)
              / nullif(sum(total) FILTER (WHERE caller), 0))::numeric, 1) AS "% in planning them"
  FROM s;
SQL
}

# slow_plans LOG_OFFSET PATTERN: what auto_explain logged since that byte of the server
# log: how many of the extension's statements (lower-case SQL: pgbench's calls and the RI
# queries are upper case) went over its threshold, by text, and the first plan logged for
# each statement whose text matches PATTERN (an awk regular expression).
slow_plans() {
    tail -c +"$(($1 + 1))" "$data/server.log" | awk -v pattern="$2" '
        function finish() {
            if (text == "") return
            if (text ~ /^(select|with|insert|update|delete) /) {
                count[text]++
                if (!(text in plan) && text ~ pattern) plan[text] = body
            }
            text = ""
        }
        /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
            finish()
            reading = ($0 ~ /LOG:  duration: .* plan:/)
            if (reading) { body = ""; duration = $0; sub(/.*duration: /, "", duration); sub(/ ms.*/, "", duration) }
            next
        }
        reading && /^\tQuery Text: / { text = substr($0, 14, 72); body = " (" duration " ms)"; next }
        reading && /^\t/ && text != "" { body = body "\n    " substr($0, 2); next }
        END {
            finish()
            n = 0; for (t in count) n += count[t]
            if (n == 0) { print "auto_explain: no statement of the extension was slow"; exit }
            print "auto_explain: the statements of the extension that were slow, by text:"
            for (t in count) printf "  %6d  %s\n", count[t], t
            for (t in plan) printf "first plan logged for: %s%s\n", t, plan[t]
        }'
}

relation_stats() {
    sql -c "SELECT c.relname, c.relpages, c.reltuples::bigint AS reltuples,
                   pg_relation_size(c.oid) / 8192 AS pages_now, s.n_live_tup, s.n_dead_tup,
                   s.autovacuum_count, s.autoanalyze_count
              FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
             WHERE c.relname IN ('table_hold_members', 'table_holds', 'allocations', 'booking_table_assignments')
             ORDER BY c.relname"
}

occupants_plan() {  # occupants_plan WHEN TABLE BOOKING (numbers as in bench/setup.sql)
    say "Occupants read plans, $1 (table $2, booking $3)"
    relation_stats
    sql -q -v table="$2" -v booking="$3" -f "$ROOT/bench/profile_occupants_plan.sql"
}

declare -A tps_of us_of
order=()
# workload NAME SCRIPT [fresh]: a warm-up run, counters reset, the measured run. With
# "fresh", no warm-up: the hold tables are vacuumed and analyzed first and the measured
# run's connections are the first to use them, so the plans they cache are the ones a
# fresh table gets (a warm-up's connections, whose cached plans go with them, would hide
# exactly that).
workload() {
    local name=$1 script=$2 fresh=${3:-} out tps xacts failed mark
    if [ -n "$fresh" ]; then
        say "$name: bench/$script, $clients clients, ${seconds}s, no warm-up, after VACUUM ANALYZE of the hold tables"
        sql -qc "VACUUM ANALYZE table_holds, table_hold_members, allocations"
    else
        say "$name: bench/$script, $clients clients, ${seconds}s after ${warmup}s of warm-up"
    fi
    # A checkpoint now rather than one landing in the middle of some workload's run.
    sql -qc CHECKPOINT
    if [ -z "$fresh" ]; then
        out=$(pgbench_run "$script" "$warmup") || { echo "$out"; exit 1; }
    fi
    reset_counters
    mark=$(log_size)
    # Progress every 5 s: a plan that degrades as the tables churn shows as falling tps.
    out=$(pgbench_run "$script" "$seconds" -P 5) || { echo "$out"; exit 1; }
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
    printf 'tps %.0f: %d transactions, %s failed; tps by 5 s: %s\n' "$tps" "$xacts" "${failed:-0}" \
        "$(sed -n 's/^progress: .* s, \([0-9]*\)\.[0-9]* tps,.*/\1/p' <<<"$out" | paste -sd ' ')"
    statements "$xacts"
    slow_plans "$mark" 'as is_hold'
    tps_of[$name]=$tps
    # Server time per transaction in the calls pgbench made (their execution, everything
    # nested included: "us per xact in calls" above; commit, the round trips and the
    # planning of pgbench's own statements not): what fsync-bound tps hides.
    us_of[$name]=$(sql -Atc "SELECT round(1000 * sum(total_exec_time) / $xacts)
                               FROM pg_stat_statements WHERE toplevel AND query NOT LIKE '%pg_stat_statements%'")
    order+=("$name")
}

occupants_plan "before any hold churn (table_hold_members empty, analyzed)" 1 1

workload "floor" floor_assign.sql
workload "assign + unassign" assign_unassign.sql
workload "merge (2 adjacent tables) + unassign" profile_merge.sql
workload "hold + confirm + unassign" profile_hold_confirm.sql
workload "hold + release" hold_release.sql
# Right after hold + release, whose statements pg_stat_statements still has: the end of
# the plan file checks that the statement EXPLAINed is the one the extension runs.
occupants_plan "after the hold workloads' churn" 1 1
# Not a call of its own: hold + release again with every hold on the same evening, where
# the occupants read meets other holds (bench/profile_setup.sql says why).
workload "hold + release, one shared evening" profile_hold_release_evening.sql
occupants_plan "after churn on the shared evening" 1 100001
# The issue's cliff: a generic plan cached while table_hold_members is small, kept while
# churn grows it. Here the connections start on freshly vacuumed hold tables.
workload "hold + release, shared evening, fresh" profile_hold_release_evening.sql fresh
occupants_plan "after churn on the shared evening from fresh tables" 1 100001

timed_sweep() {  # timed_sweep LIMIT: sweep_expired_holds until the backlog is gone
    local limit=$1 calls
    sql -qc CHECKPOINT
    reset_counters
    sql -q -v limit="$limit" -f "$ROOT/bench/profile_sweep.sql" 2>&1 | sed 's/^psql:[^ ]* NOTICE:  //'
    calls=$(sql -Atc "SELECT sum(calls) FROM pg_stat_statements WHERE query LIKE 'SELECT sweep_expired_holds(%'")
    echo "(per_xact below is per sweep_expired_holds call: $calls calls)"
    statements "$calls"
}
new_backlog() {  # a backlog of expired holds, analyzed as autovacuum would have by then
    sql -q -v holds="$backlog" -f "$ROOT/bench/profile_expired_holds.sql"
    sql -qc "ANALYZE table_holds, table_hold_members, allocations"
}

say "Occupants read: a generic plan made on empty hold tables, then $backlog expired holds arrive (table 1, booking 100001)"
sql -q -v table=1 -v booking=100001 -v holds="$backlog" -f "$ROOT/bench/profile_occupants_stale_plan.sql"

say "sweeper: that backlog, sweep_expired_holds() as pg_cron calls it, until it is gone"
timed_sweep default

say "sweeper: one call's plan with actual rows and times (auto_explain with ANALYZE), on a new backlog"
new_backlog
mark=$(log_size)
# Only the sweep statement itself is slow enough to be logged; ANALYZE's timing overhead is
# why this call is not one of the timed ones.
PGOPTIONS="-c auto_explain.log_min_duration=10ms -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on" \
    cluster_psql "$data" "$port" -d postgres -qAtc "SELECT sweep_expired_holds() AS swept"
slow_plans "$mark" 'for update skip locked|where expires_at'

say "sweeper: the rest of that backlog with sweep_expired_holds(10000), the largest batch it takes"
timed_sweep 10000

say "summary ($clients clients, ${seconds}s per workload; pg_stat_statements, track_planning and auto_explain on)"
echo "(server us: execution time per transaction of the calls pgbench made; x floor: that over the floor's."
echo " tps on this kind of disk is mostly commit latency, which the server time leaves out.)"
printf '%-40s %8s %9s %10s %8s\n' workload tps "vs floor" "server us" "x floor"
for name in "${order[@]}"; do
    printf '%-40s %8.0f %9.3f %10d %8.1f\n' "$name" "${tps_of[$name]}" \
        "$(echo "${tps_of[$name]} / ${tps_of[floor]}" | bc -l)" "${us_of[$name]}" \
        "$(echo "${us_of[$name]} / ${us_of[floor]}" | bc -l)"
done
