-- release_table_hold(p_hold_id, p_booking_id default null): deletes the hold with its
-- members and mirror rows; true when it released one, false when there was none (so a
-- retry is harmless); 23514 when p_booking_id does not own the hold; never touches a real
-- assignment or its mirror rows.
--
-- Hold ids are random: they are kept in psql variables with \gset and never printed.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();


------------------------------------------------------------------------------------------
-- 1. Release by the owning booking: true; hold, members and mirror rows gone; one
--    hold.released event naming the hold. The tables are free again at once.
------------------------------------------------------------------------------------------
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)]) \gset
SELECT id AS h3 FROM create_table_hold(b(3), ARRAY[t(7), t(8)]) \gset
SELECT * FROM counts();
SELECT release_table_hold(:'h1', b(1)) AS released;
SELECT * FROM hx_holds ORDER BY booking;
SELECT * FROM hx_members ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY booking, resource;
SELECT * FROM hx_events;
SELECT context->>'hold_id' = :'h1' AS names_hold, bn((context->>'released_by_booking')::uuid) AS released_by
  FROM observability_events WHERE event_type = 'hold.released';
-- Another booking can now hold and be assigned the released tables.
SELECT count(*) FROM create_table_hold(b(2), ARRAY[t(1)]);
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(2)]);

------------------------------------------------------------------------------------------
-- 2. Idempotent: releasing again is false and writes nothing (no second event).
------------------------------------------------------------------------------------------
SELECT state_hash() AS before \gset
SELECT release_table_hold(:'h1', b(1)) AS released_again;
SELECT release_table_hold(:'h1') AS released_again_without_booking;
-- A hold id that never existed: false as well.
SELECT release_table_hold('0000000d-0000-4000-8000-000000000099') AS never_existed;
SELECT release_table_hold('0000000d-0000-4000-8000-000000000099', b(1)) AS never_existed_with_booking;
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT count(*) AS released_events FROM observability_events WHERE event_type = 'hold.released';

------------------------------------------------------------------------------------------
-- 3. Without p_booking_id (an operator or the app's cleanup): releases whoever owns it.
------------------------------------------------------------------------------------------
SELECT release_table_hold(:'h3') AS released;
SELECT bn(booking_id) AS booking, context ? 'released_by_booking' AS has_key,
       context->>'released_by_booking' IS NULL AS no_booking_given
  FROM observability_events WHERE event_type = 'hold.released' AND context->>'hold_id' = :'h3';
SELECT * FROM hx_holds ORDER BY booking;

------------------------------------------------------------------------------------------
-- 4. A booking that does not own the hold: 23514 hold_not_owned, the hold stays, nothing
--    is written. A NULL hold id is a bad argument.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT state_hash() AS before \gset
SELECT try(format('SELECT release_table_hold(%L, %L)', :'h1', b(2)));
SELECT try(format('SELECT release_table_hold(%L, %L)', :'h1', b(99)));
SELECT d->>'reason' AS reason, d->>'hold_id' = :'h1' AS names_hold,
       bn((d->>'booking_id')::uuid) AS caller, bn((d->>'owner_booking_id')::uuid) AS owner
  FROM try_detail(format('SELECT release_table_hold(%L, %L)', :'h1', b(2))) AS d;
SELECT try($$SELECT release_table_hold(NULL)$$);
SELECT try($$SELECT release_table_hold(NULL, b(1))$$);
SELECT state_hash() = :'before' AS wrote_nothing;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 5. Releasing never deletes a real assignment or its mirror rows (docs/failure-modes.md#2-occupancy-drift: the
--    original deleted allocations by booking and table). Booking 1 is seated at M1 + M2
--    and also holds M1 for the same window (its own assignment does not block its own
--    hold), plus M1 + M2 for later the same evening: M1 then has three mirror rows, its
--    table row and two hold rows, all of booking 1.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
SELECT id AS h_same FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id AS h_later FROM create_table_hold(b(1), ARRAY[t(1), t(2)],
                                            p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 23:00+00') \gset
SELECT * FROM hx_mirror ORDER BY resource_type, resource, start_utc;
SELECT * FROM counts();
SELECT release_table_hold(:'h_same', b(1)) AS released;
SELECT release_table_hold(:'h_later', b(1)) AS released;
-- Only the hold rows went: the assignments, the merge group and their mirror rows stay.
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY resource_type, resource, start_utc;
SELECT * FROM counts();
-- Every assignment still has its table mirror row.
SELECT count(*) AS assignments_with_mirror
  FROM booking_table_assignments a
 WHERE EXISTS (SELECT 1 FROM allocations m WHERE m.assignment_id = a.id AND m.resource_type = 'table'
                  AND m.resource_id = a.table_id AND m."window" = tstzrange(a.start_at, a.end_at, '[)'));

------------------------------------------------------------------------------------------
-- 6. An expired hold the sweeper has not reached yet can be released too: true, with a
--    hold.released event; it is then gone from the sweeper's backlog.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)], p_ttl => '10 seconds') \gset
-- Simulate time passing: move the expiry one second into the past (as superuser).
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'h1';
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();
SELECT release_table_hold(:'h1', b(1)) AS released;
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();
SELECT * FROM hx_events;
SELECT sweep_expired_holds() AS swept;

------------------------------------------------------------------------------------------
-- 7. Transactional: a rolled-back release leaves the hold, members, mirror rows and no
--    event; the released hold's mirror rows go even with dual-write off.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)]) \gset
BEGIN;
SELECT release_table_hold(:'h1', b(1)) AS released;
SELECT * FROM counts();
ROLLBACK;
SELECT * FROM counts();
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT release_table_hold(:'h1', b(1)) AS released;
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 8. Deleting a booking deletes its holds with their members and mirror rows (no event:
--    the booking is gone); other bookings' holds stay.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)]);
SELECT count(*) FROM create_table_hold(b(3), ARRAY[t(7), t(8)]);
DELETE FROM bookings WHERE id = b(3);
SELECT * FROM hx_holds ORDER BY booking;
SELECT * FROM hx_members ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY booking, resource;
SELECT * FROM counts();
