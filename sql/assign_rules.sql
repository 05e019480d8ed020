-- assign_tables_atomic_v2: the rules of docs/api.md#windows-and-tables for one booking at a time
-- (window, deduplication, zone pin, booking status, table availability, capacity,
-- adding tables, re-assigning what the booking already has).
-- Conflicts, merges, idempotency and the mirror have suites of their own.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- Window: the booking's own when neither p_start_at nor p_end_at is given.
------------------------------------------------------------------------------------------
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NULL AS single
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT * FROM seats ORDER BY booking, tbl;
-- The stored instants are exactly the booking's.
SELECT a.start_at = bk.start_at AND a.end_at = bk.end_at AS booking_window
  FROM booking_table_assignments a JOIN bookings bk ON bk.id = a.booking_id WHERE a.booking_id = b(1);

-- Explicit window: both ends given, stored as given (it need not match the booking's).
SELECT tn(table_id), utc(start_at), utc(end_at)
  FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 18:30+00');
SELECT * FROM seats WHERE booking = 'b2' ORDER BY tbl;

-- One end only, or an empty / inverted window: 22023 (argument errors, see assign_errors).
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(7)], p_start_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(7)], p_end_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(7)], p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(7)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 17:00+00')$$);

------------------------------------------------------------------------------------------
-- Deduplication: repeated ids are one table (and do not count toward the limit of 16).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_id), merge_group_id IS NULL AS single
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(1), t(1)]);
SELECT * FROM counts();
SELECT fixture_reset();
SELECT tn(table_id), merge_group_id IS NULL AS single
  FROM assign_tables_atomic_v2(b(1), array_fill(t(2), ARRAY[40]));
SELECT * FROM counts();
-- A merge given with duplicates is the same merge: two rows.
SELECT fixture_reset();
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(1), t(2), t(1)]) ORDER BY 1;

------------------------------------------------------------------------------------------
-- Zone pin: set by assign, kept while a table is left, cleared when none is.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT assigned_zone_id IS NULL AS unpinned FROM bookings WHERE id = b(1);
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT assigned_zone_id = z(1) AS pinned_main FROM bookings WHERE id = b(1);
-- Pinned to main: a patio table is refused (23514 zone_pinned), alone or as an addition.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(7)])$$);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(7), t(8)])$$);
-- Tables of two zones in one call: 23514 mixed_zones.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1), t(7)])$$);
-- Adding a table of the same zone keeps the pin.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)]);
SELECT assigned_zone_id = z(1) AS pinned_main FROM bookings WHERE id = b(1);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(1)]);
SELECT assigned_zone_id = z(1) AS still_pinned FROM bookings WHERE id = b(1);
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(2)]);
SELECT assigned_zone_id IS NULL AS unpinned FROM bookings WHERE id = b(1);
-- Unpinned, the booking can move to the patio.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(7)]);
SELECT assigned_zone_id = z(2) AS pinned_patio FROM bookings WHERE id = b(1);
-- A pin set by the application on a booking without tables is honoured too.
UPDATE bookings SET assigned_zone_id = z(2) WHERE id = b(2);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$);
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(8)]);

------------------------------------------------------------------------------------------
-- Booking status: pending, confirmed and checked_in can be seated; cancelled, completed
-- and no_show cannot (23514 booking_not_assignable).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT bn(id), status FROM bookings ORDER BY id;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS confirmed;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS confirmed;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(7)])$$) AS pending_but_mixed_zones;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(7), t(8)])$$) AS pending;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(3)])$$) AS cancelled;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(5), ARRAY[t(3)])$$) AS completed;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(6), ARRAY[t(3)])$$) AS no_show;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)])$$) AS checked_in;
-- The status is checked before the tables: a cancelled booking with a missing table is 23514.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(99)])$$) AS cancelled_missing_table;
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Tables: exist (P0002), same restaurant, active, not out of service (23514).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(99)])$$) AS missing;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(9)])$$) AS other_restaurant;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(5)])$$) AS inactive;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(6)])$$) AS out_of_service;
-- 'reserved' and 'occupied' are operational states, not a refusal.
UPDATE table_inventory SET status = 'reserved' WHERE id = t(1);
UPDATE table_inventory SET status = 'occupied' WHERE id = t(2);
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
-- Nothing was written by the refused calls.
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Capacity: while capacity_check is on the tables must seat the party (b3 is a party of 6).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status) VALUES
    (b(8), r(1), 6, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed'),
    (b(9), r(1), 6, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
SELECT bn(id), party_size FROM bookings WHERE id IN (b(1), b(3), b(8), b(9)) ORDER BY id;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS four_seats;
SELECT d->>'reason' AS reason, d->>'capacity' AS capacity, d->>'party_size' AS party_size
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$) AS d;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(1), t(2)])$$) AS four_seats_merged;
-- Exactly the party size is enough: M1 (2) + M3 (4) for 6; M2 (2) for b1's party of 2.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(3), ARRAY[t(1), t(3)]) ORDER BY 1;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)]);
-- The flag off: a short table is accepted.
UPDATE allocator_flags SET enabled = false WHERE name = 'capacity_check';
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(8), ARRAY[t(7)]);
-- Back on: refused again.
UPDATE allocator_flags SET enabled = true WHERE name = 'capacity_check';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(9), ARRAY[t(8)])$$) AS flag_back_on;
-- An addition counts the seats the booking already has: b8 has P1 (4); adding P2 (4)
-- makes 8 >= 6.
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(8), ARRAY[t(8)]);
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Adding tables to what the booking has, and re-assigning what it already has.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_id), merge_group_id IS NULL AS single FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
-- Adding M2: the result names the requested table; both tables now share one merge group
-- (the earlier single table joins it).
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)]);
SELECT * FROM seats ORDER BY booking, tbl;
SELECT count(DISTINCT merge_group_id) AS groups, count(*) AS rows
  FROM booking_table_assignments WHERE booking_id = b(1);
-- Asking for a superset returns every requested table; only M3 is new.
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(2), t(1)]) ORDER BY 1;
SELECT count(DISTINCT merge_group_id) AS groups, count(*) AS rows
  FROM booking_table_assignments WHERE booking_id = b(1);

-- Tables the booking already has for the same window: success, the rows, nothing written;
-- without a key and with one.
SELECT state_hash() AS before \gset
SELECT tn(table_id), utc(start_at), utc(end_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)]);
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)], 'already-there') ORDER BY 1;
SELECT state_hash() = :'before' AS wrote_nothing;
-- Same window given explicitly: still the same request.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 21:00+00');
SELECT state_hash() = :'before' AS wrote_nothing;
-- A table the booking has for another window cannot be re-assigned to a new one (23514).
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 22:00+00')$$);
SELECT state_hash() = :'before' AS wrote_nothing;

-- p_assigned_by is recorded on the assignment and its mirror row.
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_assigned_by => '0000000e-0000-4000-8000-000000000001');
SELECT a.assigned_by = '0000000e-0000-4000-8000-000000000001' AS assigned_by,
       m.created_by = '0000000e-0000-4000-8000-000000000001' AS mirror_created_by
  FROM booking_table_assignments a JOIN allocations m ON m.assignment_id = a.id;
