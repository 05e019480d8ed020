-- allocator_alerts(): the four runbook alerts, quiet and firing, on crafted states. Blocked
-- backends are real: other sessions (dblink) wait on this one's locks.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();

------------------------------------------------------------------------------------------
-- 1. Quiet: one row per alert, nothing firing.
------------------------------------------------------------------------------------------
SELECT alert, value, threshold, firing FROM allocator_alerts();
SELECT alert, readable(detail) AS detail FROM allocator_alerts();

------------------------------------------------------------------------------------------
-- 2. allocator.lock_contention: backends waiting for an allocator lock (booking 41232,
--    table 41233) or for a lock on booking_table_assignments.
------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('w1', conninfo()), dblink_connect('w2', conninfo()),
       dblink_connect('w3', conninfo());
SELECT dblink_exec('w1', 'SET allocator.lock_timeout = ''1min'''), dblink_exec('w3', 'SET allocator.lock_timeout = ''1min''');
SELECT (SELECT pid FROM dblink('w1', 'SELECT pg_backend_pid()') AS r(pid int)) AS w1,
       (SELECT pid FROM dblink('w2', 'SELECT pg_backend_pid()') AS r(pid int)) AS w2,
       (SELECT pid FROM dblink('w3', 'SELECT pg_backend_pid()') AS r(pid int)) AS w3 \gset
BEGIN;
-- This session assigns b1 to M1 and keeps its transaction open: it holds b1's booking
-- lock, M1's table lock and ROW EXCLUSIVE on booking_table_assignments.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
-- w1 wants M1 for b2 (table lock), w2 wants the table itself, w3 wants b1 (booking lock).
SELECT dblink_send_query('w1', $$SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$);
SELECT dblink_send_query('w2', $$BEGIN; LOCK TABLE booking_table_assignments IN EXCLUSIVE MODE; COMMIT$$);
SELECT dblink_send_query('w3', $$SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)])$$);
SELECT wait_until(format($$SELECT count(DISTINCT pid) = 3 FROM pg_locks WHERE NOT granted AND pid IN (%s, %s, %s)$$,
                                 :w1, :w2, :w3)) AS all_waiting;
SELECT alert, value, threshold, firing FROM allocator_alerts() WHERE alert = 'allocator.lock_contention';
-- The detail names each blocked backend, what it waits for, who blocks it and its query;
-- and the blockers (here: this session) with their queries.
SELECT b->>'waiting_for' AS waiting_for, b->>'mode' AS mode,
       b->'pid' IN (to_jsonb(:w1), to_jsonb(:w2), to_jsonb(:w3)) AS known_pid,
       b->'blocking_pids' = jsonb_build_array(pg_backend_pid()) AS blocked_by_this_session,
       b->>'query' AS query
  FROM allocator_alerts() a, jsonb_array_elements(a.detail->'blocked') AS b
 WHERE a.alert = 'allocator.lock_contention'
 ORDER BY 1;
SELECT k->'pid' = to_jsonb(pg_backend_pid()) AS blocker_is_this_session, k->>'state' AS state,
       k->>'query' LIKE 'SELECT k->''pid''%' AS query_shown
  FROM allocator_alerts() a, jsonb_array_elements(a.detail->'blockers') AS k
 WHERE a.alert = 'allocator.lock_contention';
-- Fires above its threshold (strictly).
SELECT count(*) FROM set_allocator_alert_threshold('allocator.lock_contention', 2, 'test: fire at 3');
SELECT alert, value, threshold, firing FROM allocator_alerts() WHERE alert = 'allocator.lock_contention';
SELECT count(*) FROM set_allocator_alert_threshold('allocator.lock_contention', 3, 'test: quiet at 3');
SELECT alert, value, threshold, firing FROM allocator_alerts() WHERE alert = 'allocator.lock_contention';
ROLLBACK;
-- Released: the waiters go ahead (b1's assignment rolled back, so b2 gets M1).
SELECT * FROM dblink_get_result('w1') AS r(assigned bigint);
SELECT * FROM dblink_get_result('w3') AS r(assigned bigint);
SELECT dblink_disconnect('w1'), dblink_disconnect('w2'), dblink_disconnect('w3');
SELECT * FROM seats ORDER BY booking, tbl;
SELECT alert, value, firing FROM allocator_alerts() WHERE alert = 'allocator.lock_contention';
DROP EXTENSION dblink;

------------------------------------------------------------------------------------------
-- 3. allocator.hold_expiry_backlog: expired holds not yet swept; the oldest is named.
------------------------------------------------------------------------------------------
SELECT put_hold(1, b(1), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '10 minutes');
SELECT put_hold(2, b(2), ARRAY[t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '30 minutes');
SELECT put_hold(3, b(3), ARRAY[t(3)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '1 minute');
SELECT put_hold(4, b(7), ARRAY[t(7)], '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() + interval '3 minutes');
SELECT alert, value, threshold, firing, readable(detail->'oldest') AS oldest,
       (detail->'oldest'->>'expired_seconds')::int BETWEEN 1795 AND 1900 AS oldest_age_right,
       detail->'sweeper' AS sweeper
  FROM allocator_alerts() WHERE alert = 'allocator.hold_expiry_backlog';
SELECT count(*) FROM set_allocator_alert_threshold('hold_expiry_backlog', 2, 'test');
SELECT alert, value, threshold, firing FROM allocator_alerts() WHERE alert = 'allocator.hold_expiry_backlog';
SELECT sweep_expired_holds();
SELECT alert, value, threshold, firing, detail->'oldest' AS oldest
  FROM allocator_alerts() WHERE alert = 'allocator.hold_expiry_backlog';

------------------------------------------------------------------------------------------
-- 4. allocator.rpc_conflict_rate: 23P01 events of the last minute from capacity.selector or
--    capacity.hold (as the telemetry worker writes them, or an app in the same shape).
------------------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.conflict_event(source text, event_type text, age interval, code text, tbl uuid)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
    VALUES (now() - age, source, event_type, 'warning', r(1), b(2),
            jsonb_build_object('function', 'assign_tables_atomic_v2', 'table_id', tbl, 'conflicting_booking_id', b(1),
                               'error', jsonb_build_object('code', code, 'message', 'conflict on ' || tn(tbl),
                                                           'detail', jsonb_build_object('reason', 'assignment_overlap'))));
$$;
SELECT pg_temp.conflict_event('capacity.selector', 'capacity.selector.assignment', '5 seconds', '23P01', t(1)),
       pg_temp.conflict_event('capacity.selector', 'capacity.selector.assignment', '10 seconds', '23P01', t(1)),
       pg_temp.conflict_event('capacity.selector', 'capacity.selector.assignment', '20 seconds', '23P01', t(2)),
       pg_temp.conflict_event('capacity.hold', 'hold.conflict', '30 seconds', '23P01', t(1)),
       -- not counted: older than a minute, a lock timeout, another source, not an error
       pg_temp.conflict_event('capacity.selector', 'capacity.selector.assignment', '2 minutes', '23P01', t(3)),
       pg_temp.conflict_event('capacity.selector', 'capacity.selector.assignment', '1 second', '55P03', t(3)),
       pg_temp.conflict_event('staff-app', 'capacity.selector.assignment', '1 second', '23P01', t(3));
INSERT INTO observability_events (source, event_type, context) VALUES ('capacity.hold', 'hold.created', '{}');
SELECT alert, value, threshold, firing, readable(detail - 'look_at' - 'note') AS detail
  FROM allocator_alerts() WHERE alert = 'allocator.rpc_conflict_rate';
SELECT count(*) FROM set_allocator_alert_threshold('rpc_conflict_rate', 3, 'test');
SELECT alert, value, threshold, firing FROM allocator_alerts() WHERE alert = 'allocator.rpc_conflict_rate';

------------------------------------------------------------------------------------------
-- 5. allocator.telemetry_insert_failures: the telemetry worker's failures of the last five
--    minutes. This instance does not preload allocator, so nothing is recorded and both
--    telemetry-fed alerts say so. (Failures themselves need a preloaded server: tested with
--    the telemetry worker.)
------------------------------------------------------------------------------------------
SELECT preloaded, recent_insert_failures FROM allocator_telemetry_stats();
SELECT alert, value, threshold, firing, detail->>'telemetry' AS telemetry, detail->>'note' AS note
  FROM allocator_alerts() WHERE alert IN ('allocator.rpc_conflict_rate', 'allocator.telemetry_insert_failures');

SELECT ops_reset();
