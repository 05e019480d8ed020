#!/usr/bin/env bash
# The hold sweeper under a real pg_cron: a private cluster with pg_cron preloaded, the
# sweeper scheduled every minute, expired holds waiting; passes when pg_cron's own run
# has swept them (bounded wait, 150 s) and cron.job_run_details shows success.
# Prints "PASSED FAILED" as its last line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

work=$(make_workdir cron)
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

if [ "$failed" -gt 0 ]; then
    echo "---- cron.job_run_details ----"; sql -c "SELECT status, return_message FROM cron.job_run_details"
    echo "---- server log (tail) ----"; tail -30 "$data/server.log"
fi
echo "$passed $failed"
