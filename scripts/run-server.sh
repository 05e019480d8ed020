#!/usr/bin/env bash
# What needs a real, preloaded server (pg_cron and allocator in shared_preload_libraries):
#  - the hold sweeper under pg_cron: scheduled every minute with expired holds waiting;
#    passes when pg_cron's own run has swept them (bounded wait, 150 s) and
#    cron.job_run_details shows success;
#  - conflict telemetry: conflicts and lock timeouts, rolled back in the caller, still reach
#    observability_events through the telemetry worker, and the runbook's query shows them.
# Prints "PASSED FAILED" as its last line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir server)
data="$work/data"
port=5470
trap 'stop_cluster "$data"' EXIT
start_cluster "$data" "$port" "cron.database_name = 'postgres'" || { echo "0 1"; exit 0; }
sql() { cluster_psql "$data" "$port" -d postgres -At "$@"; }

passed=0 failed=0
check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; passed=$((passed + 1));
    else echo "not ok - $1: expected '$2', got '$3'"; failed=$((failed + 1)); fi
}

setup=$(sql -f "$work/test/cron/sweeper_run.sql" 2>&1)
echo "$setup"
check "three expired holds wait for the sweeper" 3 "$(sql -c "SELECT count(*) FROM table_holds WHERE expires_at < now()")"

deadline=$((SECONDS + 150))
while [ $SECONDS -lt $deadline ]; do
    runs=$(sql -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                    WHERE j.jobname = 'allocator-hold-sweeper' AND d.status = 'succeeded'")
    [ "${runs:-0}" -ge 1 ] && break
    sleep 5
done
echo "waited $((SECONDS)) s for pg_cron"

check "pg_cron ran the sweeper and recorded success" t \
    "$(sql -c "SELECT count(*) >= 1 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                WHERE j.jobname = 'allocator-hold-sweeper' AND d.status = 'succeeded'")"
check "no failed sweeper run" 0 \
    "$(sql -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                WHERE j.jobname = 'allocator-hold-sweeper' AND d.status = 'failed'")"
check "the backlog query is empty after the run" 0 "$(sql -c "SELECT count(*) FROM table_holds WHERE expires_at < now()")"
check "the live hold survived" 1 "$(sql -c "SELECT count(*) FROM table_holds WHERE expires_at > now()")"
check "one hold.expired event per swept hold, from the sweeper" 3 \
    "$(sql -c "SELECT count(*) FROM observability_events WHERE source = 'capacity.hold'
                AND event_type = 'hold.expired' AND context->>'removed_by' = 'sweep_expired_holds'")"
check "swept holds left no member or mirror rows" "0 0" \
    "$(sql -F ' ' -c "SELECT (SELECT count(*) FROM table_hold_members m WHERE NOT EXISTS (SELECT FROM table_holds h WHERE h.id = m.hold_id)),
                             (SELECT count(*) FROM allocations WHERE resource_type = 'hold' AND hold_id IS NULL)")"
check "the live hold keeps its mirror row" 1 "$(sql -c "SELECT count(*) FROM allocations WHERE resource_type = 'hold'")"
check "unschedule removes the job" t "$(sql -c "SELECT unschedule_hold_sweeper()")"
check "no job is left" 0 "$(sql -c "SELECT count(*) FROM cron.job")"

# ---- conflict telemetry ----
sql -q -c "SELECT count(*) FROM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000001',
               ARRAY['0000000b-0000-4000-8000-000000000001']::uuid[])" >/dev/null
for i in $(seq 1 11); do
    sql -c "SELECT * FROM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000002',
               ARRAY['0000000b-0000-4000-8000-000000000001']::uuid[])" >/dev/null 2>&1
done
# A lock timeout: one session holds table 2's allocator lock while another gives up after 100 ms.
cluster_psql "$data" "$port" -d postgres -q -c "BEGIN" \
    -c "SELECT count(*) FROM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000003', ARRAY['0000000b-0000-4000-8000-000000000002']::uuid[])" \
    -c "SELECT pg_sleep(3)" -c "ROLLBACK" >/dev/null 2>&1 &
holder=$!
sleep 1
sql -c "SET allocator.lock_timeout = '100ms'" -c "SELECT * FROM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000002',
           ARRAY['0000000b-0000-4000-8000-000000000002']::uuid[])" >/dev/null 2>&1
wait $holder

conflicts=0
for _ in $(seq 1 20); do
    conflicts=$(sql -c "SELECT count(*) FROM observability_events WHERE context->'error'->>'code' = '23P01'")
    timeouts=$(sql -c "SELECT count(*) FROM observability_events WHERE context->'error'->>'code' = '55P03'")
    [ "$conflicts" -ge 11 ] && [ "$timeouts" -ge 1 ] && break
    sleep 0.5
done
check "11 rolled-back conflicts reached observability_events" 11 "$conflicts"
check "the lock timeout reached observability_events" 1 "$timeouts"
check "the runbook's 'Recent RPC conflicts' query lists them with their message" "12|12" \
    "$(sql -c "SELECT count(*), count(message) FROM (
                 select created_at, context->'error'->>'message' as message
                 from observability_events
                 where source = 'capacity.selector'
                   and event_type = 'capacity.selector.assignment'
                   and context->'error' is not null
                 order by created_at desc
                 limit 20) recent")"
check "events name the table, the other booking and the restaurant" t \
    "$(sql -c "SELECT bool_and(context->>'table_id' = '0000000b-0000-4000-8000-000000000001'
                        AND context->>'conflicting_booking_id' = '0000000c-0000-4000-8000-000000000001'
                        AND restaurant_id = '00000001-0000-4000-8000-000000000001')
                 FROM observability_events WHERE context->'error'->>'code' = '23P01'")"
check "telemetry stats: preloaded, 12 recorded, 12 written, no failures" "t|12|12|0" \
    "$(sql -c "SELECT preloaded, conflicts_recorded, events_written, insert_failures FROM allocator_telemetry_stats()")"

check "allocator_alerts: rpc_conflict_rate fires on 11 conflicts in a minute (threshold 10)" "11|t" \
    "$(sql -c "SELECT value, firing FROM allocator_alerts() WHERE alert = 'allocator.rpc_conflict_rate'")"
check "allocator_alerts: telemetry_insert_failures is quiet" "0|f" \
    "$(sql -c "SELECT value, firing FROM allocator_alerts() WHERE alert = 'allocator.telemetry_insert_failures'")"

# ---- pg_dump keeps the allocator's rows (pg_extension_config_dump) ----
dump_db() { cluster_psql "$data" "$port" -d "$1" -At "${@:2}"; }
state_of() {
    dump_db "$1" -c "SELECT (SELECT count(*) FROM booking_table_assignments) || ' ' || (SELECT count(*) FROM table_holds)
                     || ' ' || (SELECT count(*) FROM allocations) || ' ' || (SELECT count(*) FROM booking_assignment_idempotency)
                     || ' ' || (SELECT count(*) FROM observability_events)
                     || ' ' || (SELECT string_agg(name || '=' || enabled, ',' ORDER BY name) FROM allocator_flags)"
}
sql -q -c "CREATE DATABASE dumped" -c "CREATE DATABASE restored"
dump_db dumped -q -c "CREATE EXTENSION allocator CASCADE" >/dev/null 2>&1
dump_db dumped -q -f "$work/test/fixtures/restaurant.sql"
dump_db dumped -q -c "SELECT fixture_reset()" \
    -c "SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(2), t(3)], 'k-dump')" \
    -c "SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)], '1 hour')" \
    -c "UPDATE allocator_flags SET enabled = true, reason = 'dump test' WHERE name = 'require_adjacency'" >/dev/null
(cd "$work" && as_postgres "$PG_BINDIR/pg_dump" -h "$data" -p "$port" -U postgres dumped) >"$work/dumped.sql"
restore_errors=$(cluster_psql "$data" "$port" -d restored -q -v ON_ERROR_STOP=0 -f "$work/dumped.sql" 2>&1 | grep -c ERROR || true)
check "pg_dump | psql restores without an error" 0 "$restore_errors"
check "the dumped database holds 2 assignments, 1 hold, 4 mirror rows, 1 ledger row, 1 event, adjacency on" \
    "2 1 4 1 1 allocations_dual_write=true,capacity_check=true,merges_enabled=true,require_adjacency=true" "$(state_of dumped)"
check "restored rows and flags equal the original" "$(state_of dumped)" "$(state_of restored)"
check "the restored copy still refuses a double booking" 23P01 \
    "$(dump_db restored -c "DO \$\$ BEGIN PERFORM assign_tables_atomic_v2(b(1), ARRAY[t(2)]); RAISE NOTICE 'none';
                         EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | sed -n 's/.*NOTICE:  //p')"

# A conflict in a database the telemetry worker does not write to (it writes to
# allocator.database_name = postgres) is a telemetry failure, and the alert says so. The
# double booking the restored copy refused above is one already; this makes two.
dump_db dumped -c "SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])" >/dev/null 2>&1
failures=0
for _ in $(seq 1 20); do
    failures=$(sql -c "SELECT insert_failures FROM allocator_telemetry_stats()")
    [ "$failures" -ge 2 ] && break
    sleep 0.5
done
check "conflicts the worker cannot record count as telemetry failures" 2 "$failures"
check "allocator_alerts: telemetry_insert_failures fires and names the cause" "2|t|t" \
    "$(sql -c "SELECT value, firing, detail::text LIKE '%allocator.database_name%' FROM allocator_alerts()
                WHERE alert = 'allocator.telemetry_insert_failures'")"

if [ "$failed" -gt 0 ]; then
    echo "---- cron.job_run_details ----"; sql -c "SELECT status, return_message FROM cron.job_run_details"
    echo "---- server log (tail) ----"; tail -30 "$data/server.log"
fi
echo "$passed $failed"
