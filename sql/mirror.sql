-- The allocations mirror (legacy resource calendar). While allocations_dual_write is on:
-- one non-shadow 'table' row per assignment and one 'merge_group' row per merge group,
-- written in the same transaction and removed with what they mirror (unassign, booking
-- deletion). While it is off, nothing is mirrored.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

-- The invariant, as a query: assignments without their table row, or table rows without
-- their assignment (both directions), and groups without their group row or vice versa.
CREATE TEMP VIEW mirror_problems AS
SELECT 'assignment not mirrored' AS problem, bn(a.booking_id) AS booking, tn(a.table_id) AS what
  FROM booking_table_assignments a
 WHERE NOT EXISTS (SELECT 1 FROM allocations m
                    WHERE m.resource_type = 'table' AND NOT m.shadow AND m.booking_id = a.booking_id
                      AND m.resource_id = a.table_id AND m."window" = tstzrange(a.start_at, a.end_at, '[)'))
UNION ALL
SELECT 'table row without assignment', bn(m.booking_id), tn(m.resource_id)
  FROM allocations m
 WHERE m.resource_type = 'table' AND NOT m.shadow
   AND NOT EXISTS (SELECT 1 FROM booking_table_assignments a
                    WHERE a.booking_id = m.booking_id AND a.table_id = m.resource_id
                      AND m."window" = tstzrange(a.start_at, a.end_at, '[)'))
UNION ALL
SELECT 'merge group not mirrored', bn(a.booking_id), 'group'
  FROM (SELECT DISTINCT booking_id, merge_group_id FROM booking_table_assignments WHERE merge_group_id IS NOT NULL) a
 WHERE NOT EXISTS (SELECT 1 FROM allocations m WHERE m.resource_type = 'merge_group' AND m.resource_id = a.merge_group_id)
UNION ALL
SELECT 'group row without group', bn(m.booking_id), 'group'
  FROM allocations m
 WHERE m.resource_type = 'merge_group'
   AND NOT EXISTS (SELECT 1 FROM booking_table_assignments a WHERE a.merge_group_id = m.resource_id);

------------------------------------------------------------------------------------------
-- Single table and merge.
------------------------------------------------------------------------------------------
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(4)]);
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)]);
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT * FROM mirror_problems;
-- Each table row points at its assignment; the group row names the merge group; both
-- carry the booking's restaurant.
SELECT count(*) AS linked FROM allocations m JOIN booking_table_assignments a ON a.id = m.assignment_id
 WHERE m.resource_type = 'table' AND m.resource_id = a.table_id;
SELECT count(*) AS group_rows_matching
  FROM allocations m
 WHERE m.resource_type = 'merge_group'
   AND m.resource_id = (SELECT DISTINCT merge_group_id FROM booking_table_assignments WHERE booking_id = b(2));
SELECT count(*) FILTER (WHERE restaurant_id = r(1)) AS restaurant_1, count(*) AS all_rows FROM allocations;

-- Adding a table to a merge: one more table row, still one group row.
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
SELECT * FROM mirror WHERE booking = 'b2' ORDER BY resource_type, resource, start_utc;
SELECT * FROM mirror_problems;
-- A single table becoming a merge: its row stays (same row), a group row appears.
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(7)]);
SELECT id AS p1_row FROM allocations WHERE booking_id = b(7) \gset
SELECT * FROM mirror WHERE booking = 'b7' ORDER BY resource_type, resource;
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(8)]);
SELECT * FROM mirror WHERE booking = 'b7' ORDER BY resource_type, resource;
SELECT count(*) AS same_p1_row FROM allocations WHERE id = :'p1_row' AND resource_id = t(7);
SELECT * FROM mirror_problems;

------------------------------------------------------------------------------------------
-- Unassign removes the rows.
------------------------------------------------------------------------------------------
SELECT tn(table_id) FROM unassign_tables_atomic(b(2));
SELECT * FROM mirror ORDER BY booking, resource_type, resource, start_utc;
SELECT * FROM mirror_problems;

------------------------------------------------------------------------------------------
-- Dual-write off: assignments are written, the mirror is not; unassign still works.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7)]);
SELECT * FROM counts();
SELECT tn(table_id) FROM unassign_tables_atomic(b(2));
SELECT * FROM counts();
-- Rows written while it was on are still removed by unassign while it is off.
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(7), t(8)]);
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT tn(table_id) FROM unassign_tables_atomic(b(3));
SELECT * FROM counts();
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';

------------------------------------------------------------------------------------------
-- Booking deletion cascades to assignments, mirror rows (table and group) and ledger rows.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'k1');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], 'k2');
SELECT * FROM counts();
DELETE FROM bookings WHERE id = b(1);
SELECT * FROM counts();
SELECT count(*) AS rows_of_b1 FROM allocations WHERE booking_id = b(1);
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT * FROM mirror_problems;
-- The freed tables are free.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(7), ARRAY[t(1)]);
