-- confirm_table_hold: turns a live hold into assignments atomically (the result of
-- assign_tables_atomic_v2 for the hold's tables and window), deleting the hold, its members
-- and its mirror rows; idempotency keys; expired, missing and foreign holds; the tables
-- are re-checked at confirm time.
--
-- Hold ids are random: they are kept in psql variables with \gset and never printed.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();


------------------------------------------------------------------------------------------
-- 1. One table: the hold becomes an assignment of the hold's window; the hold, its member
--    and its hold mirror row are gone; a table mirror row and the zone pin appear.
------------------------------------------------------------------------------------------
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT * FROM counts();
SELECT tn(table_id) AS tbl, utc(start_at) AS start_utc, utc(end_at) AS end_utc, merge_group_id IS NULL AS single
  FROM confirm_table_hold(:'h1', b(1));
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY booking, resource_type, resource;
SELECT * FROM counts();
SELECT assigned_zone_id = z(1) AS pinned_main FROM bookings WHERE id = b(1);
-- hold.created then hold.confirmed, both source capacity.hold, the second naming the hold.
SELECT * FROM hx_events;
SELECT context->>'hold_id' = :'h1' AS names_hold FROM observability_events WHERE event_type = 'hold.confirmed';

------------------------------------------------------------------------------------------
-- 2. A merge, with an explicit window and p_assigned_by: the same rows, merge group and
--    mirror rows assign_tables_atomic_v2 writes for the same request.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h3 FROM create_table_hold(b(3), ARRAY[t(3), t(1), t(2)],
                                       p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 20:00+00') \gset
SELECT tn(table_id) AS tbl, utc(start_at) AS start_utc, utc(end_at) AS end_utc, merge_group_id IS NOT NULL AS merged
  FROM confirm_table_hold(:'h3', b(3), p_assigned_by => b(99)) ORDER BY 1;
SELECT count(DISTINCT merge_group_id) AS groups, bool_and(assigned_by = b(99)) AS assigned_by_kept
  FROM booking_table_assignments WHERE booking_id = b(3);
-- The same request through assign (booking 2 on the patio) for comparison.
SELECT tn(table_id) AS tbl, utc(start_at) AS start_utc, utc(end_at) AS end_utc, merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(2), ARRAY[t(8), t(7)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 20:00+00') ORDER BY 1;
SELECT * FROM hx_mirror ORDER BY booking, resource_type, resource;
-- The result's merge_group_id is the stored one, and the group's mirror row names it.
SELECT count(*) AS group_mirrors
  FROM booking_table_assignments a JOIN allocations g ON g.resource_type = 'merge_group' AND g.resource_id = a.merge_group_id
 WHERE a.booking_id = b(3) AND a.table_id = t(1);
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 3. Idempotency. Without a key, a second confirm finds no hold: P0002. With a key, the
--    second confirm replays the stored result and writes nothing.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT count(*) FROM confirm_table_hold(:'h1', b(1));
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2), t(3)]) \gset
SELECT tn(table_id) AS tbl, utc(start_at) AS start_utc, utc(end_at) AS end_utc, merge_group_id IS NOT NULL AS merged
  FROM confirm_table_hold(:'h2', b(2), 'confirm-b2') ORDER BY 1;
SELECT * FROM ledger ORDER BY booking, key;
SELECT state_hash() AS before \gset
SELECT tn(table_id) AS tbl, utc(start_at) AS start_utc, utc(end_at) AS end_utc, merge_group_id IS NOT NULL AS merged
  FROM confirm_table_hold(:'h2', b(2), 'confirm-b2') ORDER BY 1;
SELECT state_hash() = :'before' AS replay_wrote_nothing;
-- The replayed merge_group_id is the stored one.
SELECT count(*) AS same_group
  FROM confirm_table_hold(:'h2', b(2), 'confirm-b2') r
  JOIN booking_table_assignments a ON a.booking_id = b(2) AND a.table_id = r.table_id
 WHERE r.merge_group_id = a.merge_group_id;
-- The key belongs to booking 2: booking 1 confirming that hold id with it finds no hold.
SELECT try(format('SELECT confirm_table_hold(%L, %L, %L)', :'h2', b(1), 'confirm-b2'));
SELECT * FROM counts();
-- A key that already named another request is 22023 idempotency_mismatch, and the hold
-- stays: booking 7 assigned P1 under 'b7-req', then holds P2 and confirms with that key.
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(7)], 'b7-req');
SELECT id AS h7 FROM create_table_hold(b(7), ARRAY[t(8)]) \gset
SELECT try(format('SELECT confirm_table_hold(%L, %L, %L)', :'h7', b(7), 'b7-req'));
SELECT booking, tables, live FROM hx_holds WHERE booking = 'b7';
-- ... with a fresh key it confirms (P2 joins P1: a booking's tables are added to).
SELECT tn(table_id) AS tbl, merge_group_id IS NOT NULL AS merged
  FROM confirm_table_hold(:'h7', b(7), 'b7-confirm') ORDER BY 1;
SELECT * FROM seats WHERE booking = 'b7' ORDER BY tbl;

------------------------------------------------------------------------------------------
-- 4. Missing, foreign and expired holds; bad arguments. Nothing is written and the hold
--    is left as it was.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT state_hash() AS before \gset
SELECT try($$SELECT confirm_table_hold(NULL, b(1))$$);
SELECT try(format('SELECT confirm_table_hold(%L, NULL)', :'h1'));
-- Missing: a hold id that never existed.
SELECT try($$SELECT confirm_table_hold('0000000d-0000-4000-8000-000000000099', b(1))$$);
-- Foreign: booking 2 confirming booking 1's hold is 23514 hold_not_owned ...
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(2)));
SELECT d->>'reason' AS reason, d->>'hold_id' = :'h1' AS names_hold, bn((d->>'owner_booking_id')::uuid) AS owner
  FROM try_detail(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(2))) AS d;
-- ... and a booking that may no longer be seated (cancelled since) cannot confirm.
UPDATE bookings SET status = 'cancelled' WHERE id = b(1);
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
UPDATE bookings SET status = 'confirmed' WHERE id = b(1);
-- Missing booking.
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(99)));
SELECT state_hash() <> :'before' AS bookings_row_updated_by_the_test;
SELECT * FROM counts();
-- Expired: simulate time passing by moving the expiry one second into the past (as
-- superuser). The sweeper has not run, the row is still there, and it cannot be confirmed.
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'h1';
SELECT state_hash() AS before \gset
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
SELECT try(format('SELECT confirm_table_hold(%L, %L, %L)', :'h1', b(1), 'late-key'));
SELECT d->>'reason' AS reason, d->>'hold_id' = :'h1' AS names_hold
  FROM try_detail(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1))) AS d;
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT booking, tables, live FROM hx_holds;

------------------------------------------------------------------------------------------
-- 5. The tables are re-checked when the hold is confirmed.
------------------------------------------------------------------------------------------
-- A held table taken out of service since: 23514, the hold stays.
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(1);
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
UPDATE table_inventory SET status = 'available' WHERE id = t(1);
-- Merges switched off since a merge was held: 23514.
SELECT id AS h3 FROM create_table_hold(b(3), ARRAY[t(7), t(8)]) \gset
UPDATE allocator_flags SET enabled = false WHERE name = 'merges_enabled';
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h3', b(3)));
UPDATE allocator_flags SET enabled = true WHERE name = 'merges_enabled';
-- The party grew past the held seats (P1 + P2 seat 8): 23514.
UPDATE bookings SET party_size = 9 WHERE id = b(3);
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h3', b(3)));
UPDATE bookings SET party_size = 6 WHERE id = b(3);
-- An overlapping assignment of another booking written behind the allocator's back (a
-- legacy writer, inserted directly as superuser): 23P01 naming the table and booking.
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES (b(2), t(1), '2030-06-01 20:30+00', '2030-06-01 22:00+00');
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
SELECT contract(try_detail(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1))));
-- Both holds are still there, live, and nothing was assigned from them.
SELECT booking, tables, live FROM hx_holds ORDER BY booking;
SELECT * FROM seats ORDER BY booking, tbl;
-- Once the way is clear both confirm.
DELETE FROM booking_table_assignments WHERE booking_id = b(2);
SELECT tn(table_id) AS tbl FROM confirm_table_hold(:'h1', b(1));
SELECT tn(table_id) AS tbl FROM confirm_table_hold(:'h3', b(3)) ORDER BY 1;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 6. Atomic: a rolled-back confirm leaves the hold, its members, its mirror rows and no
--    hold.confirmed event; no assignment.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)]) \gset
SELECT * FROM counts();
BEGIN;
SELECT count(*) FROM confirm_table_hold(:'h1', b(1), 'k');
SELECT * FROM counts();
ROLLBACK;
SELECT * FROM counts();
SELECT * FROM hx_events;
SELECT count(*) AS ledger_rows FROM booking_assignment_idempotency;
-- And it can still be confirmed afterwards.
SELECT count(*) FROM confirm_table_hold(:'h1', b(1), 'k');
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 7. Dual-write off at confirm time: the hold's mirror rows still go (with the hold) and
--    no assignment mirror is written.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT count(*) FROM confirm_table_hold(:'h1', b(1));
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- Issue 7 finding 10: a confirm replays an idempotency key only for the hold that stored
-- it. A key first used by an assign, or by confirming another hold, replays nothing: a hold
-- that never existed is hold_not_found, whatever the key.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) AS assigned FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'assign-key');
SELECT try($$SELECT * FROM confirm_table_hold('0000000d-0000-4000-8000-000000000099', b(1), 'assign-key')$$) AS never_existed;
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
SELECT count(*) AS confirmed FROM confirm_table_hold(:'h2', b(2), 'confirm-key');
SELECT idempotency_key, hold_id = :'h2' AS stored_by_this_hold FROM booking_assignment_idempotency WHERE booking_id = b(2);
-- The same confirm again replays (the hold is gone, the key names it) ...
SELECT count(*) AS replayed FROM confirm_table_hold(:'h2', b(2), 'confirm-key');
-- ... another hold id with that key does not.
SELECT try($$SELECT * FROM confirm_table_hold('0000000d-0000-4000-8000-000000000098', b(2), 'confirm-key')$$) AS other_hold;
SELECT * FROM allocator_verify();
