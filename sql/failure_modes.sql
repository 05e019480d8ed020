-- docs/failure-modes.md: the failure modes of the PL/pgSQL original, one regression test each
-- (items 1-4 and 7-10; 5 and 6 are about holds and are tested with them).
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- 1. Output column names colliding with table columns (42702) broke assign, confirm and
--    unassign. The result columns table_id / start_at / end_at / merge_group_id are the
--    column names of booking_table_assignments; callers with variables and OUT columns of
--    those names, `select *`, and joins with the table must all work.
------------------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.fm1_assign(p_booking uuid, p_tables uuid[])
RETURNS TABLE (table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    booking_id uuid := p_booking;  -- also a column of booking_table_assignments
BEGIN
    RETURN QUERY SELECT a.table_id, a.start_at, a.end_at, a.merge_group_id
                   FROM assign_tables_atomic_v2(booking_id, p_tables) AS a;
END
$$;
CREATE FUNCTION pg_temp.fm1_unassign(p_booking uuid)
RETURNS TABLE (table_id uuid)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT u.table_id FROM unassign_tables_atomic(p_booking) AS u;
END
$$;
-- A plpgsql caller that keeps the result in variables named like the columns.
CREATE FUNCTION pg_temp.fm1_first_table(p_booking uuid, p_tables uuid[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    table_id uuid;
    start_at timestamptz;
    end_at timestamptz;
    merge_group_id uuid;
BEGIN
    SELECT a.table_id, a.start_at, a.end_at, a.merge_group_id
      INTO table_id, start_at, end_at, merge_group_id
      FROM assign_tables_atomic_v2(p_booking, p_tables) AS a ORDER BY a.table_id LIMIT 1;
    RETURN tn(table_id) || ' ' || utc(start_at) || '-' || utc(end_at) || ' merged=' || (merge_group_id IS NOT NULL);
END
$$;
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NOT NULL AS merged
  FROM pg_temp.fm1_assign(b(1), ARRAY[t(1), t(2)]) ORDER BY 1;
SELECT pg_temp.fm1_first_table(b(2), ARRAY[t(3)]);
-- select * and a join with booking_table_assignments on every shared column name.
SELECT tn(r.table_id), bn(a.booking_id), r.merge_group_id = a.merge_group_id AS same_group
  FROM (SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])) AS r
  JOIN booking_table_assignments AS a USING (table_id, start_at, end_at)
 ORDER BY 1;
SELECT count(*) AS joined_with_using_all_four
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])
  JOIN booking_table_assignments USING (table_id, start_at, end_at, merge_group_id);
SELECT tn(table_id) FROM pg_temp.fm1_unassign(b(1)) ORDER BY 1;
SELECT count(*) FROM unassign_tables_atomic(b(2)) JOIN booking_table_assignments USING (table_id);

------------------------------------------------------------------------------------------
-- 2. Occupancy in three places that drift: unassign must not leak merge-group, ledger or
--    mirror rows, and deleting a booking must not leak mirror rows.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)], 'fm2-merge');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7), t(8)], 'fm2-other');
SELECT * FROM counts();
SELECT tn(table_id) FROM unassign_tables_atomic(b(1)) ORDER BY 1;
-- Only b2's rows remain: its 2 assignments, 2 table rows, 1 group row, 1 ledger row.
SELECT * FROM counts();
SELECT count(*) AS b1_leftovers
  FROM (SELECT booking_id FROM booking_table_assignments UNION ALL
        SELECT booking_id FROM allocations UNION ALL
        SELECT booking_id FROM booking_assignment_idempotency) x
 WHERE booking_id = b(1);
-- Cascade: deleting b2 leaves nothing anywhere.
DELETE FROM bookings WHERE id = b(2);
SELECT * FROM counts();
SELECT count(*) AS mirror_rows FROM allocations;

------------------------------------------------------------------------------------------
-- 3. Adjacency read in one direction; "has a neighbour" accepted disconnected sets.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
-- Only (M3, M2) is stored; M2 + M3 requested in either order are adjacent.
SELECT tn(table_a), tn(table_b) FROM table_adjacencies WHERE t(3) IN (table_a, table_b);
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(3)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1)) ORDER BY 1;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(2)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1)) ORDER BY 1;
-- Four tables, each with a neighbour, in two separate pairs: refused.
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility) VALUES
    (t(20), r(1), z(1), 'A', 2, 'movable'), (t(21), r(1), z(1), 'B', 2, 'movable'),
    (t(22), r(1), z(1), 'C', 2, 'movable'), (t(23), r(1), z(1), 'D', 2, 'movable');
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(21), t(20)), (t(22), t(23));
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(20), t(21), t(22), t(23)], p_require_adjacency => true)$$) AS two_pairs;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(20), t(21)], p_require_adjacency => true) ORDER BY 1;

------------------------------------------------------------------------------------------
-- 4. Idempotency: a replay after unassign returned zero rows; the same tables under a new
--    key failed; a replay ignored a changed window.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_id), utc(start_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm4');
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
-- Replay after unassign: assigns again and returns the row.
SELECT tn(table_id), utc(start_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm4');
SELECT * FROM seats ORDER BY booking, tbl;
-- Same tables under a new key: success.
SELECT tn(table_id), utc(start_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm4-new-key');
-- Replay with a changed window: mismatch.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm4',
                                                   p_start_at => '2030-06-01 20:00+00', p_end_at => '2030-06-01 22:00+00')$$) AS changed_window;

------------------------------------------------------------------------------------------
-- 7. The advisory lock was taken on the hour the window starts in, so overlapping windows
--    starting in different hours took different locks. Now: overlapping windows conflict
--    whatever hour they start in, and the locks are one per table (plus one per booking)
--    in the allocator's own lock spaces (objsubid 21001 bookings, 21002 tables), not the
--    int8 / int4-pair spaces of pg_advisory_* (objsubid 1 and 2).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_id), utc(start_at), utc(end_at)
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:30+00', p_end_at => '2030-06-01 21:00+00');
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2030-06-01 20:15+00', p_end_at => '2030-06-01 22:00+00')$$) AS different_start_hour;
-- Windows on different days, and windows crossing midnight, are the same story.
SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(2)], p_start_at => '2030-06-01 23:30+00', p_end_at => '2030-06-02 01:30+00');
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)], p_start_at => '2030-06-02 00:45+00', p_end_at => '2030-06-02 02:00+00')$$) AS after_midnight;
SELECT fixture_reset();
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)]);
SELECT objsubid AS lock_space, count(*) AS locks, count(DISTINCT (classid, objid)) AS distinct_keys,
       bool_and(granted) AS granted, bool_and(mode = 'ExclusiveLock') AS exclusive
  FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
 GROUP BY 1 ORDER BY 1;
-- A second booking on a fourth table adds one booking lock and one table lock.
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7)]);
SELECT objsubid AS lock_space, count(*) AS locks
  FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
 GROUP BY 1 ORDER BY 1;
-- The user's own advisory locks do not collide with the allocator's.
SELECT pg_advisory_xact_lock(21002), pg_advisory_xact_lock(1, 21002);
SELECT objsubid AS lock_space, count(*) AS locks
  FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
 GROUP BY 1 ORDER BY 1;
COMMIT;
-- Transaction-scoped: gone at commit.
SELECT count(*) AS advisory_locks_after_commit FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

------------------------------------------------------------------------------------------
-- 8. An ambiguous overload (42725) broke wrapper functions: exactly one function per API
--    name, and a SQL wrapper calling assign with named arguments works.
------------------------------------------------------------------------------------------
SELECT p.proname, count(*) AS overloads
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
 GROUP BY p.proname HAVING count(*) > 1;
SELECT proname, count(*) AS functions FROM pg_proc
 WHERE proname IN ('assign_tables_atomic_v2', 'unassign_tables_atomic')
 GROUP BY proname ORDER BY proname;
SELECT fixture_reset();
CREATE FUNCTION pg_temp.fm8_assign(booking uuid, tables uuid[], request_key text DEFAULT NULL)
RETURNS SETOF uuid LANGUAGE sql AS $$
    SELECT table_id FROM assign_tables_atomic_v2(p_booking_id => booking, p_table_ids => tables,
                                                 p_idempotency_key => request_key)
$$;
SELECT tn(x) FROM pg_temp.fm8_assign(b(1), ARRAY[t(1)], 'fm8') AS x;
-- Named arguments in any order, and untyped literals (as PostgREST sends them).
SELECT tn(table_id) FROM assign_tables_atomic_v2(p_end_at => '2030-06-02 21:00+00', p_table_ids => '{0000000b-0000-4000-8000-000000000002}',
                                                 p_start_at => '2030-06-02 19:00+00', p_booking_id => '0000000c-0000-4000-8000-000000000002',
                                                 p_require_adjacency => 'false', p_idempotency_key => 'fm8-b2', p_assigned_by => NULL);
SELECT tn(table_id) FROM unassign_tables_atomic(p_table_ids => NULL, p_booking_id => '0000000c-0000-4000-8000-000000000002');
-- A SQL wrapper around unassign too.
CREATE FUNCTION pg_temp.fm8_unassign(booking uuid) RETURNS SETOF uuid LANGUAGE sql AS $$
    SELECT table_id FROM unassign_tables_atomic(p_booking_id => booking)
$$;
SELECT tn(x) FROM pg_temp.fm8_unassign(b(1)) AS x;

------------------------------------------------------------------------------------------
-- 9. EXECUTE was never revoked from PUBLIC on SECURITY DEFINER functions and search_path
--    was not pinned. Checked over every function of the extension (each query lists the
--    offenders; all must be empty).
------------------------------------------------------------------------------------------
CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.proname, p.prosecdef, p.proconfig, p.proacl, p.prorettype, p.prokind, p.prolang
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator';
SELECT count(*) >= 2 AS has_functions FROM ext_functions;
-- The SQL API of docs/api.md (whichever of it exists) is SECURITY DEFINER.
SELECT proname AS api_function_not_security_definer FROM ext_functions
 WHERE proname IN ('assign_tables_atomic_v2', 'unassign_tables_atomic', 'create_table_hold',
                   'confirm_table_hold', 'release_table_hold', 'sweep_expired_holds',
                   'schedule_hold_sweeper', 'unschedule_hold_sweeper', 'manual_context',
                   'set_allocator_flag', 'allocator_alerts', 'allocator_verify', 'allocator_repair_mirror')
   AND NOT prosecdef;
SELECT proname, prosecdef FROM ext_functions
 WHERE proname IN ('assign_tables_atomic_v2', 'unassign_tables_atomic') ORDER BY proname;
-- Every function pins search_path to pg_catalog and pg_temp (pg_temp last): no schema
-- another role can write, whatever the extension's schema (issue 7). A procedure that
-- commits may carry no SET clause: the one there is (run_hold_sweeper) is C, names every
-- object schema-qualified, and runs as its caller, not as the owner.
SELECT proname AS search_path_not_pinned, proconfig FROM ext_functions
 WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false)
   AND NOT (prokind = 'p' AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AND NOT prosecdef);
SELECT proname AS unpinned_procedure, prosecdef, proconfig FROM ext_functions WHERE prokind = 'p';
-- PUBLIC has no EXECUTE on any of them (grantee 0 in aclexplode is PUBLIC; a NULL acl
-- means the default, which includes PUBLIC).
SELECT proname AS executable_by_public FROM ext_functions f
 WHERE f.proacl IS NULL
    OR EXISTS (SELECT 1 FROM aclexplode(f.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE');
-- A fresh role without grants can execute none of them.
CREATE ROLE regress_fm9_nobody;
SELECT proname AS executable_by_fresh_role FROM ext_functions
 WHERE has_function_privilege('regress_fm9_nobody', oid, 'EXECUTE');
SET ROLE regress_fm9_nobody;
SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT * FROM unassign_tables_atomic(b(1));
RESET ROLE;
DROP ROLE regress_fm9_nobody;

------------------------------------------------------------------------------------------
-- 10. timezone('utc', now()) stored into timestamptz skewed times by hours outside UTC
--     sessions. In New York and Kolkata sessions, explicit windows and the booking's
--     window are stored as the same instants, and assigned_at / created_at are now().
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SET timezone = 'America/New_York';
BEGIN;
-- 2030-06-02 19:00 New York (EDT, -04) is 23:00 UTC.
SELECT utc(start_at), utc(end_at),
       start_at = '2030-06-02 23:00+00'::timestamptz AS start_instant,
       end_at = '2030-06-03 01:00+00'::timestamptz AS end_instant
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm10-ny', p_start_at => '2030-06-02 19:00', p_end_at => '2030-06-02 21:00');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
-- b1 explicit window, b2 the booking's own window (19:00-21:00 UTC).
SELECT bn(a.booking_id), utc(a.start_at), utc(a.end_at),
       (a.start_at, a.end_at) = (bk.start_at, bk.end_at) AS booking_window,
       a.assigned_at = now() AS assigned_at_is_now
  FROM booking_table_assignments a JOIN bookings bk ON bk.id = a.booking_id ORDER BY 1;
SELECT bool_and(created_at = now()) AS mirror_created_at_is_now, bool_and(updated_at = now()) AS mirror_updated_at_is_now
  FROM allocations;
SELECT created_at = now() AS ledger_created_at_is_now,
       start_at = '2030-06-02 23:00+00'::timestamptz AND end_at = '2030-06-03 01:00+00'::timestamptz AS ledger_window
  FROM booking_assignment_idempotency;
-- The replay in another time zone is the same window (same instants, other notation).
SET LOCAL timezone = 'Asia/Kolkata';
SELECT utc(start_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'fm10-ny', p_start_at => '2030-06-03 04:30+05:30', p_end_at => '2030-06-03 06:30+05:30');
COMMIT;
SET timezone = 'Asia/Kolkata';
BEGIN;
-- 2030-06-02 19:00 Kolkata (+05:30) is 13:30 UTC.
SELECT utc(start_at), utc(end_at),
       start_at = '2030-06-02 13:30+00'::timestamptz AS start_instant,
       end_at = '2030-06-02 15:30+00'::timestamptz AS end_instant
  FROM assign_tables_atomic_v2(b(3), ARRAY[t(7), t(8)], p_start_at => '2030-06-02 19:00', p_end_at => '2030-06-02 21:00') ORDER BY 1;
SELECT bool_and(assigned_at = now()) AS assigned_at_is_now FROM booking_table_assignments WHERE booking_id = b(3);
COMMIT;
RESET timezone;
SELECT * FROM seats ORDER BY booking, tbl;
