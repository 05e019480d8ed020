-- assign_tables_atomic_v2: idempotency keys. A key names one request of one booking:
-- same key + same tables + same window replays and writes nothing; the same key with other
-- tables or another window is 22023 idempotency_mismatch, checked before the table rules.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- First use writes the assignment and one ledger row (tables sorted, window, group).
------------------------------------------------------------------------------------------
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(1)], 'req-1') ORDER BY 1;
SELECT * FROM ledger ORDER BY booking, key;
SELECT l.table_ids = ARRAY[t(1), t(2)] AS sorted FROM booking_assignment_idempotency l;
SELECT l.merge_group_id = a.merge_group_id AS ledger_names_the_group
  FROM booking_assignment_idempotency l JOIN booking_table_assignments a ON a.booking_id = l.booking_id AND a.table_id = t(1);
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- Replay: same rows back, nothing written (row counts and every row's xmin unchanged).
------------------------------------------------------------------------------------------
SELECT state_hash() AS before \gset
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(1)], 'req-1') ORDER BY 1;
-- Order and duplicates do not make another request; the booking's window given
-- explicitly is the same window.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(1)], 'req-1');
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1',
                                             p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 21:00+00');
-- p_assigned_by and p_require_adjacency are not part of the request's identity.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1', true, '0000000e-0000-4000-8000-000000000001');
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT * FROM counts();
-- The replayed merge_group_id is the stored one.
SELECT count(*) AS same_group
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1') r
  JOIN booking_assignment_idempotency l ON l.booking_id = b(1) AND l.idempotency_key = 'req-1'
 WHERE r.merge_group_id = l.merge_group_id;

------------------------------------------------------------------------------------------
-- Mismatch: other tables, a subset, a superset, another window (explicit or through a
-- changed booking): 22023 idempotency_mismatch, nothing written.
------------------------------------------------------------------------------------------
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)], 'req-1')$$) AS other_tables;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'req-1')$$) AS subset;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2), t(3)], 'req-1')$$) AS superset;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1',
                                                   p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 21:30+00')$$) AS longer_window;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1',
                                                   p_start_at => '2030-06-01 19:00:00.000001+00', p_end_at => '2030-06-01 21:00+00')$$) AS one_microsecond_later;
-- The DETAIL shows both windows.
SELECT d->>'reason' AS reason, d->>'stored_window' AS stored_window, d->>'requested_window' AS requested_window
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1',
                                                          p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 21:00+00')$$) AS d;
-- The booking moved to 19:30: the same call without a window now means another window.
UPDATE bookings SET start_at = '2030-06-01 19:30+00' WHERE id = b(1);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1')$$) AS booking_moved;
UPDATE bookings SET start_at = '2030-06-01 19:00+00' WHERE id = b(1);
SELECT state_hash() <> :'before' AS bookings_row_was_updated_by_the_test;
SELECT state_hash() AS before \gset
-- One plain error, to show the message, DETAIL and HINT.
SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)], 'req-1');
SELECT state_hash() = :'before' AS wrote_nothing;

------------------------------------------------------------------------------------------
-- The mismatch is checked before any rule about the tables: a missing table, a table of
-- another restaurant, an out-of-service table, mixed zones, a taken table, too few seats,
-- a disabled merge: all read as idempotency_mismatch for a used key.
------------------------------------------------------------------------------------------
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)]);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(99)], 'req-1')$$) AS missing_table;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(9)], 'req-1')$$) AS other_restaurant;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(6)], 'req-1')$$) AS out_of_service;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(7)], 'req-1')$$) AS mixed_zones;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)], 'req-1')$$) AS taken_by_b2;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(4), t(2)], 'req-1')$$) AS fixed_in_merge;
-- Argument errors still come first (22023 with their own reason).
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), NULL], 'req-1')$$) AS null_element;
-- And a replay is not re-validated against rules that changed since: merges disabled,
-- a table taken out of service, capacity raised, adjacency required.
UPDATE allocator_flags SET enabled = false WHERE name IN ('merges_enabled');
UPDATE allocator_flags SET enabled = true WHERE name IN ('require_adjacency');
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(2);
UPDATE bookings SET party_size = 12 WHERE id = b(1);
SELECT state_hash() AS before \gset
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'req-1') ORDER BY 1;
SELECT state_hash() = :'before' AS wrote_nothing;

------------------------------------------------------------------------------------------
-- Keys are per booking; a key for tables the booking already has writes nothing; a new
-- key can extend the booking.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'shared-key');
-- The same key on another booking is another request.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)], 'shared-key');
SELECT * FROM ledger ORDER BY booking, key;
-- Same tables, same window, a new key: success, the rows, nothing written.
SELECT state_hash() AS before \gset
SELECT tn(table_id), utc(start_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'second-key');
SELECT state_hash() = :'before' AS wrote_nothing;
-- A new key adding a table: one more assignment, one more ledger row naming the request.
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)], 'third-key') ORDER BY 1;
SELECT * FROM ledger ORDER BY booking, key;
SELECT * FROM seats ORDER BY booking, tbl;
-- Both keys replay.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'shared-key');
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(1)], 'third-key') ORDER BY 1;

------------------------------------------------------------------------------------------
-- A failed call leaves no ledger row: the key is free for the corrected request.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)], 'retry-me')$$) AS too_few_seats;
SELECT count(*) AS ledger_rows FROM booking_assignment_idempotency;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(2)], 'retry-me') ORDER BY 1;
SELECT * FROM ledger ORDER BY booking, key;

------------------------------------------------------------------------------------------
-- The ledger lives as long as the assignment it produced: unassigning frees the key,
-- and a replay then assigns again (returns rows). Deleting the booking removes it.
------------------------------------------------------------------------------------------
SELECT tn(table_id) FROM unassign_tables_atomic(b(3));
SELECT count(*) AS ledger_rows FROM booking_assignment_idempotency;
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(2)], 'retry-me') ORDER BY 1;
SELECT * FROM ledger ORDER BY booking, key;
DELETE FROM bookings WHERE id = b(3);
SELECT * FROM counts();
