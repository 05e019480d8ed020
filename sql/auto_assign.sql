\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
-- Auto-assignment (docs/api.md#auto-assignment): quote_tables ranks the plans a booking
-- could be seated at under every assignment rule; auto_assign_booking / auto_hold_tables
-- write the best one through the manual calls' own path. Fixture: zone main has movable
-- M1 (2), M2 (2), M3 (4) on the path M1 - M2 - M3, fixed M4 (4), inactive M5, out of service
-- M6; zone patio has movable P1 (4) - P2 (4).
CREATE FUNCTION pg_temp.quote(p_booking uuid, p_max_tables int DEFAULT NULL, p_adjacency boolean DEFAULT NULL,
                              p_zone uuid DEFAULT NULL, p_limit int DEFAULT 20)
RETURNS TABLE (rank int, tables text, zone text, seats int, left_over int, merge boolean, behind text)
LANGUAGE sql AS $$
    SELECT q.rank, array_to_string(array(SELECT tn(x) FROM unnest(q.table_ids) AS x ORDER BY 1), '+'),
           (SELECT name FROM zones WHERE id = q.zone_id), q.seats, q.seats_left_over, q.is_merge,
           q.explanation->>'behind_previous_by'
      FROM quote_tables(p_booking, p_max_tables => p_max_tables, p_require_adjacency => p_adjacency,
                        p_preferred_zone_id => p_zone, p_limit => p_limit) q
$$;
CREATE FUNCTION pg_temp.auto(p_booking uuid, p_key text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(tn(a.table_id), '+' ORDER BY tn(a.table_id)) FROM auto_assign_booking(p_booking, p_key) a
$$;

-- ---- Ranking ---------------------------------------------------------------------------------
-- A party of 2: the 2-tops leave nothing over; then every 4-top before the merge M1+M2
-- (a single table before a merge leaving as many); fixed M4 is offered alone.
SELECT * FROM pg_temp.quote(b(1));
-- The explanation: the rank keys and the first key a plan loses on.
SELECT explanation FROM quote_tables(b(1), p_limit => 3);
-- A party of 6: two tables that seat exactly 6 before the merges leaving 2 over, fewer
-- tables before more.
SELECT * FROM pg_temp.quote(b(3));
-- A preferred zone orders plans that tie on seats and tables, never more.
SELECT * FROM pg_temp.quote(b(1), p_zone => z(2), p_limit => 6);
-- p_limit keeps the best; explicit NULLs are the defaults (3 tables, no adjacency, 5 plans).
SELECT count(*) AS default_limit FROM quote_tables(b(1));
SELECT (SELECT array_agg(q ORDER BY q.rank) FROM quote_tables(b(3), NULL, NULL, NULL, NULL, NULL, NULL) q)
     = (SELECT array_agg(q ORDER BY q.rank) FROM quote_tables(b(3)) q) AS nulls_are_defaults;

-- ---- Every rule ------------------------------------------------------------------------------
-- Adjacency, by argument or flag: only connected merges (M1+M3 is not).
SELECT * FROM pg_temp.quote(b(3), p_adjacency => true);
SELECT set_allocator_flag('require_adjacency', true, 'auto_assign suite') IS NOT NULL AS flag_set;
SELECT tables FROM pg_temp.quote(b(3));
-- auto_assign_booking under the flag seats what the quote offers first: the connected merge for
-- 6 (the adjacency is read for it, since a merge ranks first), a 2-top alone for 2 (no merge
-- can rank, so the adjacency is not read at all).
SELECT tables AS quoted_first_for_6 FROM pg_temp.quote(b(3)) WHERE rank = 1;
SELECT tables AS quoted_first_for_2 FROM pg_temp.quote(b(1)) WHERE rank = 1;
BEGIN;
SELECT pg_temp.auto(b(3)) AS auto_for_6, pg_temp.auto(b(1)) AS auto_for_2;
ROLLBACK;
SELECT set_allocator_flag('require_adjacency', false, 'auto_assign suite') IS NOT NULL AS flag_reset;
-- At most p_max_tables tables; one table cannot seat 6 here.
SELECT tables FROM pg_temp.quote(b(3), p_max_tables => 2);
SELECT count(*) AS one_table_plans FROM pg_temp.quote(b(3), p_max_tables => 1);
-- merges_enabled off: single tables only.
SELECT set_allocator_flag('merges_enabled', false, 'auto_assign suite') IS NOT NULL AS flag_set;
SELECT string_agg(tables, ', ' ORDER BY rank) AS without_merges FROM pg_temp.quote(b(1));
SELECT count(*) AS party_of_6_without_merges FROM pg_temp.quote(b(3));
SELECT set_allocator_flag('merges_enabled', true, 'auto_assign suite') IS NOT NULL AS flag_reset;
-- capacity_check off: plans short of the party come after every plan that seats it.
SELECT set_allocator_flag('capacity_check', false, 'auto_assign suite') IS NOT NULL AS flag_set;
SELECT * FROM pg_temp.quote(b(3), p_max_tables => 1);
SELECT set_allocator_flag('capacity_check', true, 'auto_assign suite') IS NOT NULL AS flag_reset;
-- A zone pin admits no other zone, whatever the preference.
UPDATE bookings SET assigned_zone_id = z(2) WHERE id = b(1);
SELECT * FROM pg_temp.quote(b(1), p_zone => z(1));
UPDATE bookings SET assigned_zone_id = NULL WHERE id = b(1);
-- Status: cancelled, completed and no-show bookings are not planned.
SELECT try($$SELECT * FROM quote_tables(b(4))$$) AS cancelled, try($$SELECT * FROM quote_tables(b(5))$$) AS completed,
       try($$SELECT * FROM quote_tables(b(6))$$) AS no_show, try($$SELECT * FROM auto_assign_booking(b(4))$$) AS auto_cancelled;

-- ---- What is taken ---------------------------------------------------------------------------
-- Another booking's assignment and live hold are taken; an expired hold is not.
SELECT table_id = t(1) AS b2_at_m1 FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
SELECT put_hold(1, b(7), ARRAY[t(2)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '5 minutes');
SELECT put_hold(2, b(7), ARRAY[t(7)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '1 minute');
SELECT string_agg(tables, ', ' ORDER BY rank) AS b1_plans FROM pg_temp.quote(b(1));
-- Outside their windows they take nothing: at 22:00 every plan is back.
SELECT count(*) AS plans_at_22 FROM quote_tables(b(1), '2030-06-01 22:00+00', '2030-06-01 23:00+00', p_limit => 20);
-- The booking's own live hold does not stand in the way of its assignment...
SELECT put_hold(3, b(1), ARRAY[t(3)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '5 minutes');
SELECT string_agg(tables, ', ' ORDER BY rank) AS b1_plans_own_hold FROM pg_temp.quote(b(1));
-- A quote writes nothing.
SELECT state_hash() AS before_quote \gset
SELECT count(*) > 0 AS quoted FROM quote_tables(b(1), p_limit => 100);
SELECT state_hash() = :'before_quote' AS quote_wrote_nothing;

-- ---- auto_hold_tables ------------------------------------------------------------------------
-- ...but a new hold conflicts with every live hold, its own too: M2 and M3 are held, M1
-- assigned, so b1's best hold is M4.
SELECT bn(booking_id) AS booking, array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables,
       expires_at = now() + interval '3 minutes' AS default_ttl, metadata
  FROM auto_hold_tables(b(1), p_metadata => '{"source": "suite"}');
SELECT * FROM counts();
SELECT * FROM hx_events;
-- The hold's errors are create_table_hold's.
SELECT try($$SELECT * FROM auto_hold_tables(b(1), interval '1 second')$$) AS short_ttl;
SELECT try($$SELECT * FROM auto_hold_tables(b(1), p_metadata => '[]')$$) AS metadata_not_object;
DO $$ BEGIN PERFORM allocator_test.fixture_reset(); END $$;

-- ---- auto_assign_booking ---------------------------------------------------------------------
-- The best plan, written as assign_tables_atomic_v2 writes it: rows, mirror, ledger, pin.
SELECT table_id = t(1) AS m1, utc(start_at), utc(end_at), merge_group_id IS NULL AS single
  FROM auto_assign_booking(b(1), 'auto-1');
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror ORDER BY booking, resource;
SELECT * FROM ledger;
SELECT (SELECT name FROM zones WHERE id = assigned_zone_id) AS pinned FROM bookings WHERE id = b(1);
-- A replay of the key returns the same tables (those of its ledger row) and writes nothing.
SELECT state_hash() AS before_replay \gset
SELECT pg_temp.auto(b(1), 'auto-1') AS replayed;
SELECT state_hash() = :'before_replay' AS replay_wrote_nothing;
-- The same key for another window is a mismatch.
SELECT try($$SELECT * FROM auto_assign_booking(b(1), 'auto-1', '2030-06-01 22:00+00', '2030-06-01 23:00+00')$$) AS other_window;
-- An already seated booking is refused, by a new key, without one and by the quote.
SELECT try($$SELECT * FROM auto_assign_booking(b(1), 'auto-2')$$) AS seated_new_key,
       try($$SELECT * FROM auto_assign_booking(b(1))$$) AS seated,
       try($$SELECT * FROM quote_tables(b(1))$$) AS seated_quote,
       try($$SELECT * FROM auto_hold_tables(b(1))$$) AS seated_hold;
SELECT try_detail($$SELECT * FROM auto_assign_booking(b(1))$$) - 'booking_id' AS seated_detail;
-- The next party of 2 takes the other 2-top; a party of 6 the merge that seats it exactly.
SELECT pg_temp.auto(b(2)) AS b2, pg_temp.auto(b(3)) AS b3;
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror WHERE booking = 'b3' ORDER BY resource_type, resource;
-- b7 (20:00-22:00) overlaps every seated booking: the 4-tops left are M3 and fixed M4.
SELECT pg_temp.auto(b(7)) AS b7;

-- ---- No plan left ----------------------------------------------------------------------------
-- Another party of 6: plans exist (M1+M3, P1+P2, ...) but each has a taken table: 23P01 no_free_plan.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(8), r(1), 6, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
SELECT try($$SELECT * FROM auto_assign_booking(b(8))$$) AS taken;
SELECT try_detail($$SELECT * FROM auto_assign_booking(b(8))$$) - 'booking_id' AS taken_detail;
SELECT try($$SELECT * FROM auto_hold_tables(b(8))$$) AS hold_taken;
SELECT count(*) AS quoted FROM quote_tables(b(8));
-- A party no plan of the floor seats, taken or not: 23514 no_feasible_plan.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(9), r(1), 40, '2030-06-01 12:00+00', '2030-06-01 13:00+00', 'confirmed');
SELECT try($$SELECT * FROM auto_assign_booking(b(9))$$) AS too_big,
       try($$SELECT * FROM auto_assign_booking(b(9), p_max_tables => 5)$$) AS too_big_5,
       try($$SELECT * FROM auto_hold_tables(b(9))$$) AS hold_too_big;
SELECT * FROM counts();

-- ---- The flag --------------------------------------------------------------------------------
SELECT name, env_name FROM allocator_flag_names() WHERE name = 'auto_assign';
SELECT enabled FROM set_allocator_flag('FEATURE_ALLOCATOR_AUTO_ASSIGN', false, 'incident 7: lock contention');
SELECT context - 'session_user' - 'caller' - 'pid' - 'role' - 'application_name' - 'client_addr' AS flag_event
  FROM observability_events WHERE event_type = 'allocator.flag_changed' ORDER BY id DESC LIMIT 1;
SELECT error_of($$SELECT * FROM auto_assign_booking(b(8))$$) AS auto_off;
SELECT try($$SELECT * FROM auto_hold_tables(b(8))$$) AS hold_off;
-- The flag is read first: even an unknown booking gets auto_assign_disabled, and nothing waits.
SELECT try($$SELECT * FROM auto_assign_booking('00000000-0000-4000-8000-000000000000')$$) AS unknown_off;
-- A quote still works: the staff UI seats by hand from it.
SELECT count(*) AS quote_while_off FROM quote_tables(b(8), '2030-06-01 22:00+00', '2030-06-01 23:00+00');
SELECT enabled FROM set_allocator_flag('auto_assign', true, 'incident 7 over');

-- ---- Arguments and errors --------------------------------------------------------------------
SELECT try($$SELECT * FROM quote_tables(NULL)$$) AS null_booking,
       try($$SELECT * FROM auto_assign_booking(NULL)$$) AS auto_null_booking,
       try($$SELECT * FROM auto_hold_tables(NULL)$$) AS hold_null_booking;
SELECT try($$SELECT * FROM quote_tables(b(8), p_max_tables => 0)$$) AS max_0,
       try($$SELECT * FROM quote_tables(b(8), p_max_tables => 6)$$) AS max_6,
       try($$SELECT * FROM auto_assign_booking(b(8), p_max_tables => 6)$$) AS auto_max_6,
       try($$SELECT * FROM quote_tables(b(8), p_limit => 0)$$) AS limit_0,
       try($$SELECT * FROM quote_tables(b(8), p_limit => 101)$$) AS limit_101;
SELECT try($$SELECT * FROM quote_tables(b(8), '2030-06-01 19:00+00')$$) AS window_incomplete,
       try($$SELECT * FROM auto_assign_booking(b(8), p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 19:00+00')$$) AS window_empty,
       try($$SELECT * FROM auto_assign_booking(b(8), '')$$) AS bad_key;
SELECT try($$SELECT * FROM quote_tables('00000000-0000-4000-8000-000000000000')$$) AS quote_unknown,
       try($$SELECT * FROM auto_assign_booking('00000000-0000-4000-8000-000000000000')$$) AS auto_unknown;
-- Preferring a zone of no such restaurant is no error: it only ranks.
SELECT count(*) AS quote_unknown_zone FROM quote_tables(b(8), '2030-06-01 22:00+00', '2030-06-01 23:00+00', p_preferred_zone_id => z(3));

-- ---- Absurd capacities -----------------------------------------------------------------------
-- Seat sums saturate instead of wrapping: a party of 2147483647 at tables of that size.
INSERT INTO zones (id, restaurant_id, name) VALUES (z(4), r(3), 'hall');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT t(20 + n), r(3), z(4), 'H' || n, 2147483647 - n, 'movable' FROM generate_series(0, 4) n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(20), r(3), 2147483647, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
SELECT rank, tables, seats, left_over, merge FROM pg_temp.quote(b(20), p_max_tables => 5, p_limit => 3);
SELECT pg_temp.auto(b(20)) AS hall;

-- ---- Neighbouring bookings (keys 5 and 6) -----------------------------------------------------
-- Three fixed 4-tops; b22 sits at N1 16:00-18:00 (an hour idle before b21's 19:00-21:00, too
-- short for it), b23 at N2 from 21:00 (flush: nothing idle, but a busy table). N3 is free all
-- day: first; then N2 (crowding); N1 last (idle gap).
INSERT INTO zones (id, restaurant_id, name) VALUES (z(6), r(3), 'terrace');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT t(30 + n), r(3), z(6), 'N' || n, 4, 'fixed' FROM generate_series(1, 3) n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
VALUES (b(21), r(3), 4, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed'),
       (b(22), r(3), 4, '2030-06-01 16:00+00', '2030-06-01 18:00+00', 'confirmed'),
       (b(23), r(3), 4, '2030-06-01 21:00+00', '2030-06-01 23:00+00', 'confirmed');
SELECT count(*) AS seated FROM assign_tables_atomic_v2(b(22), ARRAY[t(31)]) UNION ALL
SELECT count(*) FROM assign_tables_atomic_v2(b(23), ARRAY[t(32)]);
SELECT q.rank, tn(q.table_ids[1]) AS tables, q.explanation->'idle_gap_minutes' AS idle_gap,
       q.explanation->'crowding_minutes' AS crowding, q.explanation->>'behind_previous_by' AS behind
  FROM quote_tables(b(21), p_preferred_zone_id => z(6)) q WHERE q.zone_id = z(6) ORDER BY q.rank;
SELECT pg_temp.auto(b(21)) AS terrace;
