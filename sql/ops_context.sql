-- manual_context(p_booking_id): what the staff UI shows for a booking (runbook "Manual
-- context API"), on a known state. Ids print as fixture names (tables by number, b1, h1,
-- z1); timestamps of now() are left out.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();

-- Lists of the context as rows.
CREATE FUNCTION pg_temp.context_tables(booking uuid)
RETURNS TABLE (tbl text, zone text, seats int, mobility text, status text, free boolean, mine boolean,
               held_for_booking text, blocked_by jsonb)
LANGUAGE sql AS $$
    SELECT t->>'table_number', t->>'zone_name', (t->>'capacity')::int, t->>'mobility', t->>'status',
           (t->>'free')::boolean, (t->>'assigned_to_booking')::boolean,
           readable(t->'held_for_booking')#>>'{}', readable(t->'blocked_by')
      FROM jsonb_array_elements(manual_context(booking)->'tables') WITH ORDINALITY AS x(t, n)
     ORDER BY n
$$;

------------------------------------------------------------------------------------------
-- 1. Errors.
------------------------------------------------------------------------------------------
SELECT error_of($$SELECT manual_context(NULL)$$);
SELECT error_of($$SELECT manual_context(b(99))$$);
SELECT try_detail($$SELECT manual_context(b(99))$$) = jsonb_build_object('reason', 'booking_not_found', 'booking_id', b(99))
    AS detail_names_booking;

------------------------------------------------------------------------------------------
-- 2. A quiet evening: b1 on M1, b2 merged on M2+M3; b7 (20:00-22:00) holds P1; b3's hold
--    on P2 has expired (awaiting the sweeper, blocks nothing).
------------------------------------------------------------------------------------------
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'ctx-b1');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)]);
SELECT put_hold(1, b(7), ARRAY[t(7)], '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() + interval '1 hour');
SELECT put_hold(2, b(3), ARRAY[t(8)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '1 minute');

SELECT array(SELECT jsonb_object_keys(manual_context(b(1))) ORDER BY 1) AS keys;
SELECT readable(manual_context(b(1))->'booking') AS booking;
-- Every table of the restaurant (not X1 of restaurant 2), free or what blocks it in b1's
-- window: b2's assignment, b7's live hold (its window overlaps 20:00-21:00), inactive M5,
-- out-of-service M6. The expired hold on P2 blocks nothing.
SELECT * FROM pg_temp.context_tables(b(1));
-- Holds: live ones touching b1's window; not b3's expired one (it is not b1's).
SELECT readable(manual_context(b(1))->'holds') AS holds;
SELECT readable(manual_context(b(1))->'assignments') AS assignments;
SELECT manual_context(b(1))->'conflicts' AS conflicts, manual_context(b(1))->'conflict_events' AS conflict_events;
SELECT manual_context(b(1))->'flags' AS flags;

-- b3's own hold shows even though it expired (not live), so the UI can say why confirming
-- it fails; P2 is free for b3 again.
SELECT h->>'hold_id' AS hold, h->'for_this_booking' AS mine, h->'live' AS live
  FROM jsonb_array_elements(readable(manual_context(b(3))->'holds')) AS h ORDER BY 1;
SELECT tbl, free, held_for_booking, blocked_by FROM pg_temp.context_tables(b(3)) WHERE zone = 'patio';
-- b7 sees its own live hold on P1 (not a blocker for itself) and b1/b2 only where windows
-- overlap (20:00-21:00).
SELECT tbl, free, mine, held_for_booking, blocked_by FROM pg_temp.context_tables(b(7));
-- Half-open windows: a booking from 21:00 sees M1-M3 free.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(8), r(1), 2, '2030-06-01 21:00+00', '2030-06-01 23:00+00', 'pending');
SELECT tbl, free, blocked_by FROM pg_temp.context_tables(b(8)) WHERE zone = 'main' AND status = 'available';
-- The other restaurant's booking sees only its own table.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(9), r(2), 2, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'pending');
SELECT tbl, zone, free FROM pg_temp.context_tables(b(9));

------------------------------------------------------------------------------------------
-- 3. Conflicts: what is wrong now for the booking, each with what to look at.
------------------------------------------------------------------------------------------
-- b7's hold is put on M1 too, over b1's assignment (as superuser, past the allocator's
-- checks): b1 sees its table held by another booking, b7 its hold over an assignment.
INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
VALUES (h(1), t(1), '2030-06-01 20:00+00', '2030-06-01 22:00+00');
SELECT readable(manual_context(b(1))->'conflicts') AS b1_conflicts;
SELECT readable(manual_context(b(7))->'conflicts') AS b7_conflicts;
DELETE FROM table_hold_members WHERE hold_id = h(1) AND table_id = t(1);
-- b2 is moved to 19:30 after it was seated; one of its tables goes out of service; its
-- party grows past the seats; its zone pin points elsewhere.
UPDATE bookings SET start_at = '2030-06-01 19:30+00', party_size = 9, assigned_zone_id = z(2) WHERE id = b(2);
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(3);
SELECT readable(c) AS b2_conflicts
  FROM jsonb_array_elements(manual_context(b(2))->'conflicts') AS c;
-- A cancelled booking still on its table.
UPDATE bookings SET status = 'cancelled' WHERE id = b(1);
SELECT readable(manual_context(b(1))->'conflicts') AS b1_conflicts;

------------------------------------------------------------------------------------------
-- 4. conflict_events: the latest refusals of this booking recorded as events (by the
--    telemetry worker, or by the app in the same shape), newest first.
------------------------------------------------------------------------------------------
INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
VALUES (now() - interval '2 minutes', 'capacity.selector', 'capacity.selector.assignment', 'warning', r(1), b(7),
        jsonb_build_object('function', 'assign_tables_atomic_v2', 'table_id', t(1), 'conflicting_booking_id', b(1),
                           'error', jsonb_build_object('code', '23P01', 'message', 'table M1 is assigned to booking b1'))),
       (now() - interval '1 minute', 'capacity.hold', 'hold.conflict', 'warning', r(1), b(7),
        jsonb_build_object('function', 'create_table_hold', 'table_id', t(2), 'hold_id', h(5),
                           'error', jsonb_build_object('code', '23P01', 'message', 'table M2 is held'))),
       (now(), 'capacity.hold', 'hold.created', 'info', r(1), b(7), '{}'),
       (now(), 'capacity.selector', 'capacity.selector.assignment', 'warning', r(1), b(2),
        jsonb_build_object('error', jsonb_build_object('code', '55P03', 'message', 'lock timeout')));
SELECT readable(manual_context(b(7))->'conflict_events') AS b7_events;

------------------------------------------------------------------------------------------
-- 5. Read-only, and callable only with a grant.
------------------------------------------------------------------------------------------
SELECT state_hash() AS before \gset
SELECT manual_context(b(2)) IS NOT NULL AS ok;
SELECT state_hash() = :'before' AS nothing_written;
SELECT provolatile, prosecdef FROM pg_proc WHERE oid = 'manual_context(uuid)'::regprocedure;
CREATE ROLE regress_ops_staff;
SET ROLE regress_ops_staff;
SELECT manual_context(b(1));
RESET ROLE;
DROP ROLE regress_ops_staff;

SELECT ops_reset();
