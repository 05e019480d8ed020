#!/usr/bin/env bash
# What needs a real, preloaded server (pg_cron and allocator in shared_preload_libraries):
#  - the hold sweeper under pg_cron: scheduled every minute with expired holds waiting;
#    passes when pg_cron's own run has swept them (bounded wait, 150 s) and
#    cron.job_run_details shows success;
#  - conflict telemetry: conflicts and lock timeouts, rolled back in the caller, still reach
#    observability_events through the telemetry worker, and the runbook's query shows them;
#    what it cannot write is counted truthfully: other databases' conflicts as
#    other_database, a burst beyond the ring as dropped, failed writes all (more than 64)
#    as insert failures; its SQL ignores a hostile public schema; a worker database
#    without the extension is logged once.
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

# ---- telemetry: what it cannot write is counted where it belongs ----
# telemetry_test.stats: the counters of allocator_telemetry_stats() these checks read.
sql -q -c "CREATE SCHEMA telemetry_test" \
    -c "CREATE VIEW telemetry_test.stats AS
            SELECT s.conflicts_recorded, s.events_written, s.insert_failures, s.recent_insert_failures,
                   s.pending, s.dropped, s.recent_dropped, s.other_database
              FROM allocator_telemetry_stats() s"
stat() { sql -c "SELECT $1 FROM telemetry_test.stats"; }
drained() {  # waits (at most 60 s) until the worker has written or failed everything queued
    local deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ] && [ "$(sql -c "SELECT pending FROM allocator_telemetry_stats()")" != 0 ]; do
        sleep 0.2
    done
}
refuse() {  # refuse N: N double bookings of table 1 in postgres, each refused (23P01) and caught
    sql -c "DO \$\$ BEGIN FOR i IN 1..$1 LOOP BEGIN
                PERFORM assign_tables_atomic_v2('0000000c-0000-4000-8000-000000000002',
                                                ARRAY['0000000b-0000-4000-8000-000000000001']::uuid[]);
            EXCEPTION WHEN exclusion_violation THEN NULL; END; END LOOP; END \$\$"
}
events() { sql -c "SELECT count(*) FROM observability_events"; }

# Conflicts in another database with the extension: the worker writes into
# allocator.database_name (postgres) only, so they are counted as other_database, not as
# insert failures of postgres (whose alert would fire), and not written into its events.
# The double booking the restored copy refused above is one; this makes two.
dump_db dumped -c "SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])" >/dev/null 2>&1
for _ in $(seq 1 20); do [ "$(stat conflicts_recorded)" -ge 14 ] && break; sleep 0.25; done
drained
check "conflicts of two other databases: counted as other_database, no insert failure" "14|2|0|0" \
    "$(sql -c "SELECT conflicts_recorded, other_database, insert_failures, recent_insert_failures FROM telemetry_test.stats")"
check "none of them reached postgres's observability_events" "12|12" \
    "$(sql -c "SELECT count(*), (SELECT events_written FROM allocator_telemetry_stats()) FROM observability_events
                WHERE context ? 'error'")"
check "allocator_alerts: telemetry_insert_failures stays quiet" "0|f" \
    "$(sql -c "SELECT value, firing FROM allocator_alerts() WHERE alert = 'allocator.telemetry_insert_failures'")"

# A burst the ring (1024 records) cannot hold: the worker is slowed to 5 ms a row while
# 3000 conflicts arrive within a second or so. What does not fit is dropped and counted as
# dropped, not as insert failures; everything else is written.
read -r recorded0 written0 dropped0 events0 < <(sql -F ' ' -c "SELECT conflicts_recorded, events_written, dropped,
                                                                  (SELECT count(*) FROM observability_events)
                                                             FROM telemetry_test.stats")
sql -q -c "CREATE FUNCTION telemetry_test.slow_event() RETURNS trigger LANGUAGE plpgsql AS
               \$\$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END \$\$" \
    -c "CREATE TRIGGER telemetry_test_slow BEFORE INSERT ON observability_events
            FOR EACH ROW EXECUTE FUNCTION telemetry_test.slow_event()"
refuse 3000 >/dev/null
drained
sql -q -c "DROP TRIGGER telemetry_test_slow ON observability_events"
read -r recorded1 written1 dropped1 recent_dropped1 failures1 events1 < <(sql -F ' ' -c "
    SELECT conflicts_recorded, events_written, dropped, recent_dropped, insert_failures,
           (SELECT count(*) FROM observability_events) FROM telemetry_test.stats")
echo "burst of 3000: $((written1 - written0)) written, $((dropped1 - dropped0)) dropped"
check "a burst beyond the ring: some dropped, every one written or dropped, none failed" "t|3000|3000|0" \
    "$([ $((dropped1 - dropped0)) -gt 0 ] && echo t || echo f)|$((recorded1 - recorded0))|$((written1 - written0 + dropped1 - dropped0))|$failures1"
check "the drops are recent, and the rows written are the events counted as written" \
    "$((dropped1 - dropped0))|$((written1 - written0))" "$recent_dropped1|$((events1 - events0))"

# More than 64 failed writes in 5 minutes (the old window's cap): all of them are counted,
# and the alert reports them all. The server log has one of them, not one per batch.
read -r failures0 recent0 < <(sql -F ' ' -c "SELECT insert_failures, recent_insert_failures FROM telemetry_test.stats")
sql -q -c "CREATE FUNCTION telemetry_test.refuse_event() RETURNS trigger LANGUAGE plpgsql AS
               \$\$ BEGIN RAISE EXCEPTION 'run-server.sh refuses this telemetry event'; END \$\$" \
    -c "CREATE TRIGGER telemetry_test_refuse BEFORE INSERT ON observability_events
            FOR EACH ROW EXECUTE FUNCTION telemetry_test.refuse_event()"
refuse 100 >/dev/null
drained
sql -q -c "DROP TRIGGER telemetry_test_refuse ON observability_events"
read -r failures1 recent1 < <(sql -F ' ' -c "SELECT insert_failures, recent_insert_failures FROM telemetry_test.stats")
check "100 failed writes: all counted, in total and in the last 5 minutes" "100|100" \
    "$((failures1 - failures0))|$((recent1 - recent0))"
check "allocator_telemetry_stats() names the failure" "100|run-server.sh refuses this telemetry event" \
    "$(sql -c "SELECT recent_insert_failures, last_failure_message FROM allocator_telemetry_stats()")"
check "allocator_alerts: telemetry_insert_failures fires with all 100" "100|t" \
    "$(sql -c "SELECT value, firing FROM allocator_alerts() WHERE alert = 'allocator.telemetry_insert_failures'")"
check "the server log has the failure once, not once per batch" 1 \
    "$(grep -c 'ERROR:  run-server.sh refuses this telemetry event' "$data/server.log")"
check "every conflict is written, failed, dropped, from another database or pending" t \
    "$(sql -c "SELECT conflicts_recorded = events_written + insert_failures + dropped + other_database + pending
                 FROM telemetry_test.stats")"

restart_worker() {  # restart_worker: terminates the writer and waits (at most 30 s) for the next one
    sql -q -c "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                WHERE backend_type = 'allocator telemetry writer'" >/dev/null
    for _ in $(seq 1 60); do
        [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'allocator telemetry writer'")" = 1 ] &&
            break
        sleep 0.5
    done
}
writer_pid() { sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'allocator telemetry writer'"; }

# The worker's own SQL does not depend on search_path: with a database default that puts
# public first, and an = for names there (an operator any user with CREATE on public can
# define), it still does not call it. The worker reads the default when it connects, so
# it is restarted (and PostgreSQL starts it again 10 s later).
sql -q -c "CREATE TABLE telemetry_test.hostile_calls (backend_type text)" \
    -c "CREATE FUNCTION public.hostile_name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS \$\$
        BEGIN
            INSERT INTO telemetry_test.hostile_calls
                SELECT backend_type FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid();
            RETURN \$1::text OPERATOR(pg_catalog.=) \$2::text;
        END \$\$" \
    -c "CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.hostile_name_eq)" \
    -c "ALTER DATABASE postgres SET search_path = public, pg_catalog"
restart_worker
written0=$(stat events_written)
refuse 3 >/dev/null
for _ in $(seq 1 20); do [ "$(stat events_written)" -ge $((written0 + 3)) ] && break; sleep 0.25; done
drained
check "with a hostile public schema first in search_path the worker writes, and calls nothing of it" "3|0" \
    "$(($(stat events_written) - written0))|$(sql -c "SELECT count(*) FROM telemetry_test.hostile_calls
                                                      WHERE backend_type = 'allocator telemetry writer'")"
sql -q -c "ALTER DATABASE postgres RESET search_path" -c "DROP OPERATOR public.= (name, name)" \
    -c "DROP FUNCTION public.hostile_name_eq(name, name)"

# A worker whose database lacks the extension (allocator.database_name set to one without
# it) neither fails nor restarts nor logs per conflict: it says so once, and the conflicts
# of postgres are counted as other_database, not as insert failures.
sql -q -c "CREATE DATABASE telemetry_empty" -c "ALTER SYSTEM SET allocator.database_name = 'telemetry_empty'" \
    -c "SELECT pg_reload_conf()" >/dev/null
restart_worker
pid0=$(writer_pid)
read -r failures0 other0 < <(sql -F ' ' -c "SELECT insert_failures, other_database FROM telemetry_test.stats")
refuse 5 >/dev/null
for _ in $(seq 1 20); do [ "$(stat other_database)" -ge $((other0 + 5)) ] && break; sleep 0.25; done
drained
sleep 2
read -r failures1 other1 < <(sql -F ' ' -c "SELECT insert_failures, other_database FROM telemetry_test.stats")
check "worker in a database without the extension: postgres's 5 conflicts are other_database, not failures" "5|0" \
    "$((other1 - other0))|$((failures1 - failures0))"
check "... it keeps running (same process) and said so once in the log" "t|1" \
    "$([ -n "$pid0" ] && [ "$pid0" = "$(writer_pid)" ] && echo t || echo f)|$(grep -c 'extension allocator is not installed in database "telemetry_empty"' "$data/server.log")"
check "allocator_telemetry_stats() names the database the worker writes to" telemetry_empty \
    "$(sql -c "SELECT worker_database FROM allocator_telemetry_stats()")"

if [ "$failed" -gt 0 ]; then
    echo "---- cron.job_run_details ----"; sql -c "SELECT status, return_message FROM cron.job_run_details"
    echo "---- server log (tail) ----"; tail -30 "$data/server.log"
fi
echo "$passed $failed"
