-- allocator_repair_mirror() while traffic runs: it waits for writers in flight, keeps new
-- ones out while it works, never waits while holding a lock a writer needs (so a writer
-- that holds one of the two tables and then writes the other is not deadlocked), two
-- repairs never both insert, and it needs READ COMMITTED. The repair runs in another
-- session (dblink) while this one plays the writer.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('repair', conninfo());
SELECT pid AS repair_pid FROM dblink('repair', 'SELECT pg_backend_pid()') AS r(pid int) \gset
-- What the repair session holds or waits for on the two tables.
CREATE FUNCTION pg_temp.repair_locks(pid int) RETURNS TABLE (rel text, mode text, granted boolean)
LANGUAGE sql AS $$
    SELECT relation::regclass::text, mode, granted FROM pg_locks
     WHERE pid = repair_locks.pid AND relation IN ('booking_table_assignments'::regclass, 'table_holds'::regclass)
     ORDER BY 1, 2
$$;

------------------------------------------------------------------------------------------
-- 1. A writer holds table_holds (a hold created in its open transaction) and will write
--    booking_table_assignments next, as confirm_table_hold does. The repair waits for
--    table_holds holding nothing else, so the writer's assignment goes through; when the
--    writer commits, the repair runs and finds the mirror right.
------------------------------------------------------------------------------------------
BEGIN;
SELECT count(*) FROM create_table_hold(b(7), ARRAY[t(7)]);
SELECT dblink_send_query('repair', 'SELECT action, rows FROM allocator_repair_mirror()');
SELECT wait_until(format($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)$$, :repair_pid))
    AS repair_waiting;
SELECT * FROM pg_temp.repair_locks(:repair_pid);
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
COMMIT;
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 2. The other way round: the writer holds booking_table_assignments and will write
--    table_holds next. The repair takes table_holds, cannot get booking_table_assignments
--    at once, lets table_holds go and waits for booking_table_assignments instead; the
--    writer's hold goes through.
------------------------------------------------------------------------------------------
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
SELECT dblink_send_query('repair', 'SELECT action, rows FROM allocator_repair_mirror()');
SELECT wait_until(format($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted
                                                    AND relation = 'booking_table_assignments'::regclass)$$, :repair_pid))
    AS repair_waiting;
SELECT * FROM pg_temp.repair_locks(:repair_pid);
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(4)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00');
COMMIT;
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 3. While a repair works, writers wait for it (and then succeed): here the repair is held
--    open in this session's transaction and the writer is the other session.
------------------------------------------------------------------------------------------
DELETE FROM allocations WHERE resource_type = 'table' AND resource_id = t(1);
BEGIN;
SELECT * FROM allocator_repair_mirror();
SELECT dblink_exec('repair', 'SET allocator.lock_timeout = ''1min''');
SELECT dblink_send_query('repair', $$SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)])$$);
SELECT wait_until(format($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)$$, :repair_pid))
    AS writer_waiting;
SELECT * FROM pg_temp.repair_locks(:repair_pid) WHERE NOT granted;
-- The writer shows up in the lock-contention alert.
SELECT a.alert, a.value, b->>'waiting_for' AS waiting_for
  FROM allocator_alerts() a, jsonb_array_elements(a.detail->'blocked') AS b
 WHERE a.alert = 'allocator.lock_contention';
COMMIT;
SELECT * FROM dblink_get_result('repair') AS r(assigned bigint);
SELECT * FROM dblink_get_result('repair') AS r(assigned bigint);
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 4. Two repairs at once: the second waits for the first and then finds nothing to do
--    (with SHARE mode both would have inserted the missing row).
------------------------------------------------------------------------------------------
DELETE FROM allocations WHERE resource_type = 'table' AND resource_id = t(2);
BEGIN;
SELECT * FROM allocator_repair_mirror();
SELECT dblink_send_query('repair', 'SELECT action, rows FROM allocator_repair_mirror()');
SELECT wait_until(format($$SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)$$, :repair_pid))
    AS second_repair_waiting;
COMMIT;
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT * FROM dblink_get_result('repair') AS r(action text, rows bigint);
SELECT count(*) AS m2_rows FROM allocations WHERE resource_type = 'table' AND resource_id = t(2);
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 5. A transaction left open on a table (idle in transaction) does not stall writers behind
--    a waiting repair for long: the repair waits at most 1 s per table (less if the
--    session's lock_timeout is shorter), then fails with 55P03 naming the pid in the way.
--    REPEATABLE READ is refused (its snapshot would predate the locks).
------------------------------------------------------------------------------------------
SELECT dblink_exec('repair', 'BEGIN');
SELECT count(*) FROM dblink('repair', $$SELECT * FROM unassign_tables_atomic(b(1))$$) AS r(table_id uuid);
SET lock_timeout = '200ms';
SELECT error_of($$SELECT * FROM allocator_repair_mirror()$$);
RESET lock_timeout;
SELECT clock_timestamp() AS started \gset
SELECT error_of($$SELECT * FROM allocator_repair_mirror()$$);
SELECT clock_timestamp() - :'started' BETWEEN interval '0.9 s' AND interval '5 s' AS waited_about_a_second;
SELECT d->>'table' AS "table", d->'blocking_pids' = jsonb_build_array(:repair_pid) AS names_blocker
  FROM try_detail($$SELECT * FROM allocator_repair_mirror()$$) AS d;
SHOW lock_timeout;
SELECT dblink_exec('repair', 'ROLLBACK');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT error_of($$SELECT * FROM allocator_repair_mirror()$$);
ROLLBACK;

SELECT dblink_disconnect('repair');
DROP EXTENSION dblink;
SELECT event_type, severity, context->'changes' AS changes
  FROM observability_events WHERE event_type = 'allocator.mirror_repaired' ORDER BY id;
SELECT ops_reset();
