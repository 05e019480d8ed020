-- allocator_verify(): no rows while every invariant holds; one row per problem after
-- deliberate damage (done here as superuser, past the allocator's functions and, where a
-- constraint forbids it, with the constraint out of the way inside a rolled-back
-- transaction). allocator_repair_mirror() fixes the mirror problems.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();

CREATE FUNCTION pg_temp.problems()
RETURNS TABLE (problem text, detail jsonb) LANGUAGE sql AS $$
    SELECT v.problem, readable(v.detail) FROM allocator_verify() v ORDER BY 1, 2::text
$$;

-- (Rows print with fixture names; random ids, such as merge groups', print as <uuid>.)
-- A busy but healthy state: a single table with an idempotency key, a merge, live holds
-- (one for another day), an expired hold (its mirror rows stay until the sweeper).
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'v-b1');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)], 'v-b2');
SELECT count(*) FROM create_table_hold(b(7), ARRAY[t(7)]);
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(4)], p_start_at => '2030-06-03 19:00+00', p_end_at => '2030-06-03 21:00+00');
UPDATE table_holds SET expires_at = now() - interval '1 minute' WHERE booking_id = b(1);
SELECT count(*) FROM create_table_hold(b(7), ARRAY[t(4)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00');
SELECT * FROM mirror ORDER BY booking, resource_type, resource, start_utc;
SELECT * FROM pg_temp.problems();
SELECT provolatile, prosecdef FROM pg_proc WHERE oid = 'allocator_verify()'::regprocedure;

------------------------------------------------------------------------------------------
-- 1. Mirror rows missing or extra (while allocations_dual_write is on).
------------------------------------------------------------------------------------------
-- A table row deleted; a merge group's row deleted; a live hold's row deleted.
DELETE FROM allocations WHERE resource_type = 'table' AND resource_id = t(1);
DELETE FROM allocations WHERE resource_type = 'merge_group';
DELETE FROM allocations WHERE resource_type = 'hold' AND resource_id = t(7);
-- The expired hold's row going early is no problem (it is due to go anyway).
DELETE FROM allocations WHERE resource_type = 'hold' AND booking_id = b(1);
SELECT * FROM pg_temp.problems();
SELECT * FROM allocator_repair_mirror();
SELECT * FROM pg_temp.problems();
SELECT * FROM mirror ORDER BY booking, resource_type, resource, start_utc;

-- Extra rows: a table row with no assignment, a copy of a mirror row, a table row whose
-- window differs from its assignment's (extra, and its assignment's row missing), a group
-- row for no group, a hold row naming a table the hold does not have. Shadow rows are not
-- the allocator's and are left alone.
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window")
VALUES (b(3), r(1), 'table', t(4), tstzrange('2030-06-01 19:00+00', '2030-06-01 21:00+00'));
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id)
SELECT booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id
  FROM allocations WHERE resource_type = 'table' AND resource_id = t(2);
UPDATE allocations SET "window" = tstzrange('2030-06-01 19:00+00', '2030-06-01 20:00+00')
 WHERE resource_type = 'table' AND resource_id = t(1);
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window")
VALUES (b(1), r(1), 'merge_group', gen_random_uuid(), tstzrange('2030-06-01 19:00+00', '2030-06-01 21:00+00'));
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", hold_id)
SELECT booking_id, restaurant_id, 'hold', t(8), "window", hold_id FROM allocations WHERE resource_type = 'hold' AND resource_id = t(7);
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", shadow)
VALUES (b(3), r(1), 'table', t(4), tstzrange('2030-06-01 19:00+00', '2030-06-01 21:00+00'), true);
SELECT * FROM pg_temp.problems();
SELECT * FROM allocator_repair_mirror();
SELECT * FROM pg_temp.problems();
SELECT * FROM mirror ORDER BY booking, resource_type, resource, start_utc;
SELECT event_type, severity, context->'changes' AS changes
  FROM observability_events WHERE event_type = 'allocator.mirror_repaired' ORDER BY id;
-- Nothing to do: all zeros, an info event.
SELECT * FROM allocator_repair_mirror();
SELECT severity FROM observability_events WHERE event_type = 'allocator.mirror_repaired' ORDER BY id DESC LIMIT 1;
DELETE FROM allocations WHERE shadow;

-- With dual-write off the mirror is not kept, so it is not checked; the repair still
-- rebuilds it when asked (it is what turning the flag on does).
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
DELETE FROM allocations WHERE resource_type = 'table';
SELECT * FROM pg_temp.problems();
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT problem, count(*) FROM pg_temp.problems() GROUP BY problem;
SELECT * FROM allocator_repair_mirror();
SELECT * FROM pg_temp.problems();

------------------------------------------------------------------------------------------
-- 2. Overlapping assignments (the exclusion constraint dropped, in a transaction).
------------------------------------------------------------------------------------------
BEGIN;
ALTER TABLE booking_table_assignments DROP CONSTRAINT booking_table_assignments_no_overlap;
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES (b(7), t(1), '2030-06-01 20:00+00', '2030-06-01 22:00+00');
SELECT problem, detail - 'assignment_id' - 'other_assignment_id' AS detail
  FROM pg_temp.problems() WHERE problem = 'overlapping_assignments';
ROLLBACK;

------------------------------------------------------------------------------------------
-- 3. Orphan hold members (foreign keys bypassed), a hold whose members differ from its
--    table_ids, orphan ledger rows.
------------------------------------------------------------------------------------------
BEGIN;
SET LOCAL session_replication_role = replica;   -- no FK cascade: members and mirror row stay
DELETE FROM table_holds WHERE booking_id = b(7) AND t(7) = ANY (table_ids);
SET LOCAL session_replication_role = origin;
SELECT * FROM pg_temp.problems();
ROLLBACK;
BEGIN;
DELETE FROM table_hold_members WHERE table_id = t(4) AND start_at = '2030-06-02 19:00+00';
UPDATE table_holds SET table_ids = table_ids || t(1) WHERE t(7) = ANY (table_ids);
SELECT * FROM pg_temp.problems();
ROLLBACK;
-- A ledger row whose tables are no longer (all) assigned to its booking.
INSERT INTO booking_assignment_idempotency (booking_id, idempotency_key, table_ids, start_at, end_at)
VALUES (b(1), 'v-stale', ARRAY[t(1), t(4)], '2030-06-01 19:00+00', '2030-06-01 21:00+00'),
       (b(3), 'v-never', ARRAY[t(8)], '2030-06-01 19:00+00', '2030-06-01 21:00+00');
SELECT * FROM pg_temp.problems();
DELETE FROM booking_assignment_idempotency WHERE idempotency_key IN ('v-stale', 'v-never');

------------------------------------------------------------------------------------------
-- 4. A live hold over another booking's assignment (no constraint spans the two tables);
--    an expired one is no problem, nor is a booking's hold over its own assignment.
------------------------------------------------------------------------------------------
SELECT put_hold(11, b(3), ARRAY[t(1)], '2030-06-01 20:30+00', '2030-06-01 22:00+00', now() + interval '5 minutes');
SELECT put_hold(12, b(3), ARRAY[t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '5 minutes');
SELECT put_hold(13, b(2), ARRAY[t(3)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '5 minutes');
SELECT problem, detail FROM pg_temp.problems() WHERE problem <> 'mirror_missing';
-- (put_hold writes no mirror rows: the live ones are reported missing.)
SELECT problem, detail->>'hold_id' AS hold FROM pg_temp.problems() WHERE problem = 'mirror_missing';
DELETE FROM table_holds WHERE id IN (h(11), h(12), h(13));
SELECT * FROM pg_temp.problems();

------------------------------------------------------------------------------------------
-- 5. Zone pin: NULL while assigned, another zone than its tables', set without tables.
------------------------------------------------------------------------------------------
UPDATE bookings SET assigned_zone_id = NULL WHERE id = b(1);
UPDATE bookings SET assigned_zone_id = z(2) WHERE id = b(2);
UPDATE bookings SET assigned_zone_id = z(1) WHERE id = b(3);
SELECT * FROM pg_temp.problems();
UPDATE bookings SET assigned_zone_id = z(1) WHERE id IN (b(1), b(2));
UPDATE bookings SET assigned_zone_id = NULL WHERE id = b(3);
SELECT * FROM pg_temp.problems();

------------------------------------------------------------------------------------------
-- 6. Healthy again after the allocator's own operations.
------------------------------------------------------------------------------------------
SELECT count(*) FROM unassign_tables_atomic(b(2), ARRAY[t(3)]);
SELECT count(*) FROM confirm_table_hold((SELECT id FROM table_holds WHERE t(7) = ANY (table_ids)), b(7));
SELECT sweep_expired_holds();
SELECT * FROM pg_temp.problems();
SELECT ops_reset();
