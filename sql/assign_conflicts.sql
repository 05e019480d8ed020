-- assign_tables_atomic_v2: conflicts (docs/api.md#conflicts). Another booking's
-- overlapping assignment or live hold on a requested table is 23P01; expired holds never
-- block, swept or not; windows are half-open.
-- Holds are inserted directly (put_hold), not through the hold API.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- Another booking's assignment.
------------------------------------------------------------------------------------------
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$) AS same_window;
-- The DETAIL names the table, the other booking and both windows.
SELECT contract(d), d->>'window' AS "window", d->>'conflicting_window' AS conflicting_window
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$) AS d;
-- One taken table in a merge refuses the whole merge; nothing of it is written.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(1)])$$) AS merge_with_taken;
SELECT * FROM seats ORDER BY booking, tbl;
-- b7 dines 20:00-22:00: overlaps b1's 19:00-21:00 by an hour.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(1)])$$) AS partial_overlap;
-- An explicit window inside the other one, and one containing it.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2030-06-01 19:30+00', p_end_at => '2030-06-01 19:45+00')$$) AS inside;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 23:00+00')$$) AS containing;
-- One microsecond of overlap is an overlap.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2030-06-01 20:59:59.999999+00', p_end_at => '2030-06-01 23:00+00')$$) AS one_microsecond;
-- The booking's own rows never block it (see assign_rules for re-assigning them).

------------------------------------------------------------------------------------------
-- Half-open windows: [19,21) and [21,23) share no instant.
------------------------------------------------------------------------------------------
SELECT tn(table_id), utc(start_at), utc(end_at)
  FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 23:00+00');
SELECT tn(table_id), utc(start_at), utc(end_at)
  FROM assign_tables_atomic_v2(b(3), ARRAY[t(1), t(3)], p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 19:00+00') ORDER BY 1;
SELECT * FROM seats ORDER BY tbl, start_utc;

------------------------------------------------------------------------------------------
-- Holds: a live hold of another booking blocks (23P01 hold_overlap); a live hold without
-- a booking blocks; the booking's own live hold does not; an expired hold never blocks.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT put_hold(1, b(2), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT put_hold(2, NULL, ARRAY[t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT put_hold(3, b(2), ARRAY[t(3)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '1 second');
SELECT put_hold(4, b(1), ARRAY[t(7)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS live_hold_of_b2;
SELECT contract(try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$));
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)])$$) AS live_hold_no_booking;
SELECT contract(try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)])$$));
-- The holder itself can be assigned its held table.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
-- Expired (and not swept: the row is still there) never blocks.
SELECT count(*) AS expired_rows_present FROM table_holds WHERE expires_at <= now();
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(1)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00')
  ORDER BY 1;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)]);
-- b1's live hold on P1 blocks b7 ...
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(8), t(7)])$$) AS hold_of_b1;
-- ... but not b1 itself.
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(7)]);
-- A hold on another window does not block; a hold touching at the boundary does not either.
SELECT tn(table_id), utc(start_at), utc(end_at)
  FROM assign_tables_atomic_v2(b(7), ARRAY[t(2)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 22:00+00');
-- Assign never deletes or changes holds.
SELECT 'h' || right(id::text, 12)::int AS hold, bn(booking_id) AS booking, expires_at > now() AS live FROM table_holds ORDER BY id;

-- A hold expiring exactly now is expired (live means expires_at > now()); now() is fixed
-- for the transaction, so this is exact.
SELECT fixture_reset();
BEGIN;
SELECT put_hold(5, b(2), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now());
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
ROLLBACK;
BEGIN;
SELECT put_hold(6, b(2), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '1 microsecond');
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS live_for_one_microsecond;
ROLLBACK;
-- A hold expiry is independent of the dining window: a hold whose window is long past but
-- which is still live blocks that past window only.
SELECT put_hold(7, b(2), ARRAY[t(1)], '2030-05-01 19:00+00', '2030-05-01 21:00+00', now() + interval '10 minutes');
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(1), t(3)], p_start_at => '2030-05-01 20:00+00', p_end_at => '2030-05-01 20:30+00')$$) AS past_window_live_hold;

------------------------------------------------------------------------------------------
-- Report order: with several conflicts the error names the lowest table id, and an
-- assignment before a hold on the same table, whatever the scan order.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)]);
SELECT put_hold(8, b(2), ARRAY[t(1), t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
-- M2 has b1's assignment and b2's hold: the assignment is reported.
SELECT contract(try_detail($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(2)])$$));
-- With M1 (held) requested too, the lowest table id, M1, is reported.
SELECT contract(try_detail($$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(2), t(1)])$$));
