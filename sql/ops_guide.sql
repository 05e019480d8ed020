-- docs/operations.md: every query of the guide, in its order, verbatim (placeholders filled:
-- <booking-id> b1 = 0000000c-...-01 or b7 = ...-07, <hold-id> h21/h22 = 0000000d-...-21/22,
-- <pid> a backend started for the purpose), on a known state, with what it must answer.
-- A query whose output depends on the clock or on pids runs as the body of a temporary view
-- (or into \gset variables) and the view is read for what is stable.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();
CREATE ROLE oncall;
CREATE EXTENSION IF NOT EXISTS dblink;

-- The evening: b1 on M1, b2 merged on M2+M3, b7 holds P1 (live), b3 and b7 have holds the
-- sweeper has not removed yet (h21, h22, h23); b8 (party of 2, 19:00-21:00) has no table.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(8), r(1), 2, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)]);
SELECT count(*) FROM create_table_hold(b(7), ARRAY[t(7)]);
SELECT put_hold(21, b(3), ARRAY[t(4)], '2030-06-02 19:00+00', '2030-06-02 21:00+00', now() - interval '20 minutes');
SELECT put_hold(22, b(7), ARRAY[t(8)], '2030-06-02 19:00+00', '2030-06-02 21:00+00', now() - interval '10 minutes');
SELECT put_hold(23, b(3), ARRAY[t(8)], '2030-06-03 19:00+00', '2030-06-03 21:00+00', now() - interval '5 minutes');

------------------------------------------------------------------------------------------
-- Before an incident
------------------------------------------------------------------------------------------
SELECT allocator_grant_access('oncall', 'operator');
SET ROLE oncall;
SELECT count(*) AS alerts_oncall_can_read FROM allocator_alerts();
SELECT booking_lock_space > 0 AS lock_spaces, manual_context(b(1)) IS NOT NULL AS context,
       (SELECT count(*) FROM allocator_verify()) AS problems
  FROM allocator_lock_spaces();
RESET ROLE;

-- 3 expired holds: nothing fires at the defaults; with a threshold of 2 the backlog does.
SELECT alert, value, threshold FROM allocator_alerts() WHERE firing;
SELECT alert, threshold, reason FROM set_allocator_alert_threshold('allocator.hold_expiry_backlog', 2, 'guide test');
SELECT alert, value, threshold FROM allocator_alerts() WHERE firing;

SELECT * FROM set_allocator_alert_threshold('allocator.rpc_conflict_rate', 20, 'noisy for 3 days: TASK-812') \gset old_
CREATE TEMP VIEW guide_thresholds AS
SELECT alert, threshold, reason, changed_by, changed_at FROM allocator_alert_thresholds ORDER BY alert;
SELECT alert, threshold, reason, changed_by = session_user AS changed_by_me FROM guide_thresholds;

------------------------------------------------------------------------------------------
-- 1. Lock contention. Another session waits for P2's table lock, which this session holds.
------------------------------------------------------------------------------------------
SELECT dblink_connect('waiter', conninfo());
SELECT dblink_exec('waiter', 'SET allocator.lock_timeout = ''1min''');
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(8)]);
SELECT dblink_send_query('waiter', $$SELECT count(*) FROM assign_tables_atomic_v2(b(8), ARRAY[t(8)])$$);
SELECT wait_until($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'advisory')$$) AS waiting;

CREATE TEMP VIEW guide_contention AS
SELECT jsonb_pretty(detail) FROM allocator_alerts() WHERE alert = 'allocator.lock_contention';
SELECT jsonb_pretty::jsonb->'blocked'->0->>'waiting_for' AS waiting_for,
       jsonb_pretty::jsonb->'blockers'->0->'pid' = to_jsonb(pg_backend_pid()) AS blocker_is_me
  FROM guide_contention;

-- The corrected pg_locks query (the runbook's own fails: sql/runbook.sql) lists this
-- session's locks on the table.
CREATE TEMP VIEW guide_pg_locks AS
select * from pg_locks where relation = 'booking_table_assignments'::regclass;
SELECT mode, granted FROM guide_pg_locks WHERE pid = pg_backend_pid() AND mode = 'RowExclusiveLock';

CREATE TEMP VIEW guide_advisory AS
SELECT l.pid, l.granted, l.objsubid = s.booking_lock_space AS booking_lock,
       pg_blocking_pids(l.pid) AS blocked_by, a.state, left(a.query, 80) AS query
  FROM pg_locks l
  JOIN allocator_lock_spaces() s ON l.objsubid IN (s.booking_lock_space, s.table_lock_space)
  JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory'
 ORDER BY l.granted, l.pid;
SELECT pid = pg_backend_pid() AS me, granted, booking_lock, blocked_by = ARRAY[pg_backend_pid()] AS blocked_by_me,
       CASE WHEN pid = pg_backend_pid() THEN '(this query)' ELSE query END AS query
  FROM guide_advisory ORDER BY granted, booking_lock DESC, me;
ROLLBACK;
SELECT * FROM dblink_get_result('waiter') AS r(assigned bigint);
SELECT dblink_disconnect('waiter');
SELECT count(*) FROM unassign_tables_atomic(b(8));

CREATE TEMP VIEW guide_context AS
SELECT jsonb_pretty(manual_context('0000000c-0000-4000-8000-000000000007'));
SELECT jsonb_pretty::jsonb->'booking'->>'status' AS status,
       jsonb_array_length(jsonb_pretty::jsonb->'tables') AS tables,
       jsonb_array_length(jsonb_pretty::jsonb->'holds') AS holds
  FROM guide_context;

-- Mitigation: merges off (a merge is refused at once), dual-write off (no mirror row for the
-- next assignment).
SELECT * FROM set_allocator_flag('FEATURE_ALLOCATOR_MERGES_ENABLED', false, 'INC-123: lock contention') \gset flag_
SELECT :'flag_name' AS name, :'flag_enabled' AS enabled;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(8), ARRAY[t(7), t(8)])$$) AS merge;
SELECT * FROM set_allocator_flag('FEATURE_ALLOCATIONS_DUAL_WRITE', false, 'INC-123: locks persist') \gset flag_
SELECT :'flag_name' AS name, :'flag_enabled' AS enabled;
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(4)]);
SELECT count(*) AS b7_mirror_rows FROM allocations WHERE booking_id = b(7) AND resource_type = 'table';

-- Cancelling and ending a blocker (here: a backend sleeping in a transaction).
SELECT dblink_connect('blocker', conninfo());
SELECT pid AS blocker_pid FROM dblink('blocker', 'SELECT pg_backend_pid()') AS r(pid int) \gset
SELECT dblink_send_query('blocker', 'SELECT pg_sleep(60)');
SELECT wait_until(format($$SELECT state = 'active' FROM pg_stat_activity WHERE pid = %s$$, :blocker_pid));
SELECT pg_cancel_backend(:blocker_pid);
SELECT * FROM dblink_get_result('blocker', false) AS r(x text);
SELECT pg_terminate_backend(:blocker_pid);
SELECT wait_until(format($$SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)$$, :blocker_pid))
    AS blocker_gone;
SELECT dblink_disconnect('blocker');

CREATE TEMP VIEW guide_flag_notes AS
SELECT created_at, context->>'flag' AS flag, context->'old' AS old, context->'new' AS new,
       context->>'reason' AS reason, context->>'session_user' AS session_user, context->>'role' AS role
  FROM observability_events
 WHERE event_type = 'allocator.flag_changed'
 ORDER BY created_at DESC
 LIMIT 20;
SELECT flag, old, new, reason, session_user = current_user AS by_me, role FROM guide_flag_notes ORDER BY flag;

-- Revert: merges allowed again; dual-write back on rebuilds the mirror (b7's row appears).
SELECT * FROM set_allocator_flag('FEATURE_ALLOCATOR_MERGES_ENABLED', true, 'INC-123 resolved') \gset flag_
SELECT * FROM set_allocator_flag('FEATURE_ALLOCATIONS_DUAL_WRITE', true, 'INC-123 resolved') \gset flag_
SELECT name, enabled FROM allocator_flags WHERE name IN ('merges_enabled', 'allocations_dual_write') ORDER BY name;
SELECT count(*) AS b7_mirror_rows FROM allocations WHERE booking_id = b(7) AND resource_type = 'table';
SELECT count(*) FROM unassign_tables_atomic(b(7));

------------------------------------------------------------------------------------------
-- 2. Hold expiry backlog: h21 (b3, oldest), h22 (b7), h23 (b3).
------------------------------------------------------------------------------------------
CREATE TEMP VIEW guide_backlog AS
select id, booking_id, expires_at from table_holds where expires_at < now() order by expires_at;
SELECT hn(id) AS hold, bn(booking_id) AS booking FROM guide_backlog;

-- The pg_cron job (pg_cron created here and dropped at the end, as holds_cron does; the
-- job gets a schedule that never fires so the scheduler leaves this suite alone).
CREATE EXTENSION pg_cron;
SELECT schedule_hold_sweeper('0 0 31 2 *') > 0 AS scheduled;
SELECT jobid, schedule, command, active FROM cron.job WHERE jobname = 'allocator-hold-sweeper' \gset job_
SELECT :'job_schedule' AS schedule, :'job_command' AS command, :'job_active' AS active;
SELECT status, start_time, return_message
  FROM cron.job_run_details
 WHERE jobid = (SELECT jobid FROM cron.job WHERE jobname = 'allocator-hold-sweeper')
 ORDER BY start_time DESC
 LIMIT 5;

CREATE TEMP VIEW guide_backlog_owners AS
SELECT booking_id, count(*) AS expired_holds
  FROM table_holds WHERE expires_at < now()
 GROUP BY booking_id ORDER BY expired_holds DESC LIMIT 10;
SELECT bn(booking_id) AS booking, expired_holds FROM guide_backlog_owners;

-- Release h22 for its booking b7 (true), again (false); another booking's hold is 23514.
SELECT release_table_hold('0000000d-0000-4000-8000-000000000022'::uuid, '0000000c-0000-4000-8000-000000000007'::uuid);
SELECT release_table_hold('0000000d-0000-4000-8000-000000000022'::uuid, '0000000c-0000-4000-8000-000000000007'::uuid);
SELECT try($$SELECT release_table_hold('0000000d-0000-4000-8000-000000000021'::uuid, '0000000c-0000-4000-8000-000000000007'::uuid)$$);
-- Sweep the rest the job's way (both), then one batch in this transaction (nothing left).
CALL run_hold_sweeper();
SELECT sweep_expired_holds();
-- Scheduling again keeps the one job (and gives it the default schedule).
BEGIN;
SELECT schedule_hold_sweeper() = :job_jobid AS same_job;
SELECT schedule FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
ROLLBACK;
SELECT unschedule_hold_sweeper();
DROP EXTENSION pg_cron;

------------------------------------------------------------------------------------------
-- 3. Conflict spikes: three conflict events for b7 in the telemetry worker's shape, one
--    refused hold among them.
------------------------------------------------------------------------------------------
INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
SELECT now() - n * interval '5 seconds', src, typ, 'warning', r(1), b(7),
       jsonb_build_object('function', fn, 'table_id', t(1), 'conflicting_booking_id', b(1),
                          'error', jsonb_build_object('code', '23P01', 'message', 'table M1 is taken (' || n || ')'))
  FROM (VALUES (1, 'capacity.selector', 'capacity.selector.assignment', 'assign_tables_atomic_v2'),
               (2, 'capacity.hold', 'hold.conflict', 'create_table_hold'),
               (3, 'capacity.selector', 'capacity.selector.assignment', 'confirm_table_hold')) AS e(n, src, typ, fn);

CREATE TEMP VIEW guide_conflict_rate AS
SELECT value, jsonb_pretty(detail) FROM allocator_alerts() WHERE alert = 'allocator.rpc_conflict_rate';
SELECT value, readable(jsonb_pretty::jsonb->'top_tables') AS top_tables,
       jsonb_pretty::jsonb->'by_source' AS by_source
  FROM guide_conflict_rate;

CREATE TEMP VIEW guide_recent_conflicts AS
SELECT created_at, source, booking_id, context->>'table_id' AS table_id,
       context->'error'->>'code' AS code, context->'error'->>'message' AS message
  FROM observability_events
 WHERE source IN ('capacity.selector', 'capacity.hold') AND context ? 'error'
 ORDER BY created_at DESC
 LIMIT 20;
SELECT source, bn(booking_id) AS booking, tn(table_id::uuid) AS tbl, code, message FROM guide_recent_conflicts;

SELECT readable(conflicts::jsonb) AS conflicts_now, jsonb_array_length(events::jsonb) AS conflict_events FROM (
SELECT jsonb_pretty(manual_context('0000000c-0000-4000-8000-000000000007') -> 'conflicts'),
       jsonb_pretty(manual_context('0000000c-0000-4000-8000-000000000007') -> 'conflict_events')
) AS q(conflicts, events);

SELECT preloaded, conflicts_recorded, events_written FROM allocator_telemetry_stats();

SELECT * FROM set_allocator_flag('FEATURE_ALLOCATOR_REQUIRE_ADJACENCY', true, 'INC-124: adjacency drift') \gset flag_
SELECT :'flag_name' AS name, :'flag_enabled' AS enabled;
-- M1 and M3 are not adjacent (M1 - M2 - M3): a merge of them is refused now.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(8), ARRAY[t(1), t(3)])$$) AS merge_not_connected;
SELECT count(*) FROM set_allocator_flag('require_adjacency', false, 'INC-124 resolved');

------------------------------------------------------------------------------------------
-- 4. Telemetry insert failures (this instance does not preload allocator).
------------------------------------------------------------------------------------------
SELECT * FROM allocator_telemetry_stats();
CREATE TEMP VIEW guide_telemetry AS
SELECT value, jsonb_pretty(detail) FROM allocator_alerts() WHERE alert = 'allocator.telemetry_insert_failures';
SELECT value, jsonb_pretty::jsonb->>'telemetry' AS telemetry FROM guide_telemetry;

------------------------------------------------------------------------------------------
-- Manual procedures
------------------------------------------------------------------------------------------
-- Release a specific hold: h21 is b3's, not swept yet (put back for this).
SELECT put_hold(21, b(3), ARRAY[t(4)], '2030-06-02 19:00+00', '2030-06-02 21:00+00', now() + interval '10 minutes');
CREATE TEMP VIEW guide_hold AS
-- Inspect hold metadata
select id, booking_id, expires_at, metadata
from table_holds
where id = '0000000d-0000-4000-8000-000000000021';
SELECT hn(id) AS hold, bn(booking_id) AS booking, expires_at > now() AS live, metadata FROM guide_hold;
-- Release (mirrors DELETE endpoint)
select release_table_hold('0000000d-0000-4000-8000-000000000021'::uuid);
select release_table_hold('0000000d-0000-4000-8000-000000000021'::uuid);

-- Flags.
CREATE TEMP VIEW guide_flags AS
SELECT name, enabled, reason, changed_by, changed_at FROM allocator_flags ORDER BY name;
SELECT name, enabled, reason FROM guide_flags;
SELECT * FROM set_allocator_flag('merges_enabled', false, 'INC-123: lock contention') \gset flag_
SELECT :'flag_name' AS name, :'flag_enabled' AS enabled, :'flag_reason' AS reason;
SELECT count(*) FROM set_allocator_flag('merges_enabled', true, 'INC-123 resolved');
-- Switch auto-assignment off: the auto calls refuse before any lock, the quote still answers.
SELECT name, enabled, reason FROM set_allocator_flag('auto_assign', false, 'INC-123: lock contention');
SELECT try($$SELECT * FROM auto_assign_booking('0000000c-0000-4000-8000-000000000003')$$) AS auto_assign_off;
SELECT count(*) > 0 AS quote_still_answers FROM quote_tables('0000000c-0000-4000-8000-000000000003', '2030-06-02 19:00+00', '2030-06-02 21:00+00', p_max_tables => 5);
SELECT name, enabled, reason FROM set_allocator_flag('auto_assign', true, 'INC-123 resolved');
-- A floor trigger disabled by mistake: the connection's kept floor still offers b3's best
-- table after it went out of service, until the trigger is back and the version renewed.
CREATE TEMP VIEW guide_b3_best AS
SELECT (SELECT string_agg(tn(x), '+' ORDER BY tn(x)) FROM unnest(q.table_ids) AS x) AS best
  FROM quote_tables(b(3), '2030-06-02 19:00+00', '2030-06-02 21:00+00', p_max_tables => 5, p_limit => 1) q;
SELECT best AS before_change FROM guide_b3_best;
ALTER TABLE table_inventory DISABLE TRIGGER table_inventory_floor_version_update;
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(3);
SELECT best AS kept_without_trigger FROM guide_b3_best;
ALTER TABLE table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_update;
UPDATE floor_versions SET version = nextval('floor_version_seq') WHERE restaurant_id = '00000001-0000-4000-8000-000000000001';
SELECT best AS after_renewal FROM guide_b3_best;
SELECT tgenabled AS trigger_enabled FROM pg_trigger WHERE tgname = 'table_inventory_floor_version_update';
UPDATE table_inventory SET status = 'available' WHERE id = t(3);

-- The free tables for b1 (M1 is its own; M2, M3 b2's; P1 b7's live hold; M5, M6 unusable).
SELECT t->>'table_number' AS table_number, t->>'zone_name' AS zone, (t->>'capacity')::int AS seats
  FROM jsonb_array_elements(manual_context('0000000c-0000-4000-8000-000000000001') -> 'tables') AS t
 WHERE (t->>'free')::boolean
 ORDER BY 2, 1;

-- Verify and repair: healthy; then a mirror row lost and a stray one added.
SELECT * FROM allocator_verify();
DELETE FROM allocations WHERE resource_type = 'table' AND resource_id = t(1);
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window")
VALUES (b(3), r(1), 'table', t(4), tstzrange('2030-06-01 19:00+00', '2030-06-01 21:00+00'));
SELECT problem, readable(detail)->>'resource_id' AS resource, readable(detail)->>'why' AS why
  FROM allocator_verify();
SELECT * FROM allocator_repair_mirror();
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- High availability: check a new primary. Here, a lone primary: not in recovery, no WAL
-- receiver; the background work counted only (the regression instance preloads neither).
------------------------------------------------------------------------------------------
SELECT pg_is_in_recovery();
SELECT status, sender_host, sender_port FROM pg_stat_wal_receiver;
CREATE TEMP VIEW guide_background_work AS
SELECT backend_type FROM pg_stat_activity
 WHERE backend_type IN ('allocator telemetry writer', 'pg_cron launcher');
SELECT count(*) <= 2 AS at_most_the_two FROM guide_background_work;

------------------------------------------------------------------------------------------
-- The runbook's snippets as the guide quotes them (sql/runbook.sql has them on their own).
------------------------------------------------------------------------------------------
CREATE TEMP VIEW guide_active_holds AS
-- Active holds for a booking
select id, table_ids, expires_at
from table_holds
where booking_id = '0000000c-0000-4000-8000-000000000007'
  and expires_at > now();
SELECT array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables, expires_at > now() AS live FROM guide_active_holds;

-- Detect overlapping allocations
select resource_id, count(*)
from allocations
where resource_type = 'table'
  and booking_id = '0000000c-0000-4000-8000-000000000002'
group by resource_id
having count(*) > 1;

CREATE TEMP VIEW guide_runbook_conflicts AS
-- Recent RPC conflicts
select created_at, context->'error'->>'message' as message
from observability_events
where source = 'capacity.selector'
  and event_type = 'capacity.selector.assignment'
  and context->'error' is not null
order by created_at desc
limit 20;
SELECT message FROM guide_runbook_conflicts;

DROP EXTENSION dblink;
REVOKE ALL ON FUNCTION
    allocator_alerts(), manual_context(uuid), allocator_verify(), allocator_repair_mirror(),
    set_allocator_flag(text, boolean, text), set_allocator_alert_threshold(text, numeric, text),
    release_table_hold(uuid, uuid), sweep_expired_holds(integer), allocator_telemetry_stats(),
    allocator_lock_spaces()
FROM oncall;
SELECT allocator_revoke_access('oncall');
DROP ROLE oncall;
SELECT ops_reset();
