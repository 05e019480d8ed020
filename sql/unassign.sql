-- unassign_tables_atomic: removes the given tables (or all, p_table_ids NULL) of a booking
-- with their mirror and ledger rows; clears the zone pin when nothing is left; unknown
-- tables are not an error.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)], 'b1-three');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7)], 'b2-one');
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- Some tables: returns what it removed; the rest of the booking and other bookings stay.
------------------------------------------------------------------------------------------
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(3)]);
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
-- The ledger row whose request included M3 is gone (its assignment no longer stands).
SELECT * FROM ledger ORDER BY booking, key;
SELECT assigned_zone_id = z(1) AS still_pinned FROM bookings WHERE id = b(1);

-- Unknown, unassigned, another booking's, duplicated tables: not an error, not removed.
SELECT state_hash() AS before \gset
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(99)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(3), t(3)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(7)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(3));
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT * FROM seats ORDER BY booking, tbl;

-- A mix: only the booking's own tables are removed and returned (sorted).
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(99), t(2), t(7), t(2)]);
SELECT booking, tbl, start_utc, end_utc, key FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- All tables (NULL): the pin is cleared, mirror rows (table and merge group) and ledger
-- rows of the booking are gone; other bookings untouched.
------------------------------------------------------------------------------------------
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT assigned_zone_id IS NULL AS unpinned FROM bookings WHERE id = b(1);
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT * FROM ledger ORDER BY booking, key;
-- The default of p_table_ids is NULL: the one-argument call removes all.
SELECT tn(table_id) FROM unassign_tables_atomic(b(2));
SELECT * FROM counts();
SELECT count(*) AS pinned_bookings FROM bookings WHERE assigned_zone_id IS NOT NULL;
-- Unassigning a booking with nothing left: empty, and an application-set pin is cleared.
UPDATE bookings SET assigned_zone_id = z(2) WHERE id = b(3);
SELECT tn(table_id) FROM unassign_tables_atomic(b(3));
SELECT assigned_zone_id IS NULL AS unpinned FROM bookings WHERE id = b(3);

------------------------------------------------------------------------------------------
-- A merge removed table by table: the group's mirror row goes with its last table.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)]);
SELECT * FROM counts();
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(1), t(2)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(3)]);
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- Status does not matter: a cancelled booking's tables can be released.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
UPDATE bookings SET status = 'cancelled' WHERE id = b(1);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- Unassign does not touch holds (the booking's or others').
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT put_hold(1, b(1), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT hn(id), bn(booking_id) FROM table_holds;
SELECT count(*) AS hold_members FROM table_hold_members;

------------------------------------------------------------------------------------------
-- Errors: arguments first (22023), then the booking (P0002).
------------------------------------------------------------------------------------------
SELECT try($$SELECT * FROM unassign_tables_atomic(NULL)$$) AS null_booking;
SELECT try($$SELECT * FROM unassign_tables_atomic(NULL, ARRAY[t(1)])$$) AS null_booking_with_tables;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(1), ARRAY[]::uuid[])$$) AS empty_array;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(1), ARRAY[t(1), NULL])$$) AS null_element;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(99))$$) AS missing_booking;
-- Argument errors win over a missing booking.
SELECT try($$SELECT * FROM unassign_tables_atomic(b(99), ARRAY[NULL]::uuid[])$$) AS missing_booking_bad_array;
-- Visible: message, DETAIL and HINT.
SELECT * FROM unassign_tables_atomic(b(99));
SELECT * FROM unassign_tables_atomic(NULL);

------------------------------------------------------------------------------------------
-- A merge group left with one table dissolves: the remaining table is a plain
-- assignment again and the group's mirror row goes.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(2)]);
SELECT tn(table_id), merge_group_id IS NULL AS no_group FROM booking_table_assignments WHERE booking_id = b(1);
SELECT resource_type, count(*) FROM allocations GROUP BY 1 ORDER BY 1;
-- A group of three losing one stays a group of two.
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(1), t(2), t(3)]);
SELECT tn(table_id) FROM unassign_tables_atomic(b(3), ARRAY[t(3)]);
SELECT count(DISTINCT merge_group_id) AS groups, count(*) FILTER (WHERE merge_group_id IS NULL) AS ungrouped
  FROM booking_table_assignments WHERE booking_id = b(3);
SELECT resource_type, count(*) FROM allocations GROUP BY 1 ORDER BY 1;
