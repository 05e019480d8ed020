-- create_table_hold: the returned row, members, mirror and event; TTL bounds; the same
-- validation and conflict rules as assign_tables_atomic_v2; a hold also conflicts with
-- live holds; expired holds never block. Confirm, release, sweep, pg_cron and the docs/failure-modes.md
-- regressions have suites of their own (holds_confirm, holds_release, holds_sweep,
-- holds_cron, holds_failure_modes).
--
-- Hold ids are random: a created hold's id is kept in a psql variable with \gset and the
-- output prints comparisons with it, never the id. Times print in UTC through utc(); an
-- expiry prints as "expires_at - created_at" (both are now() of the creating transaction).
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();


------------------------------------------------------------------------------------------
-- 1. Defaults: the booking's window, TTL 3 minutes, empty metadata, no creator.
--    The function returns the table_holds row it inserted.
------------------------------------------------------------------------------------------
SELECT bn(booking_id) AS booking, restaurant_id = r(1) AS restaurant_1, zone_id = z(1) AS zone_main,
       array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables,
       utc(start_at) AS start_utc, utc(end_at) AS end_utc,
       expires_at - created_at AS ttl, expires_at = now() + interval '3 minutes' AS expires_now_plus_ttl,
       created_at = now() AS created_now, created_by, metadata
  FROM create_table_hold(b(1), ARRAY[t(1)]);
-- The row is stored as returned, with one member row and one mirror row per held table.
SELECT * FROM hx_holds;
SELECT * FROM hx_members;
SELECT * FROM hx_mirror;
-- Member and mirror rows point at the hold.
SELECT (SELECT count(*) FROM table_hold_members m WHERE m.hold_id = h.id) AS members_of_hold,
       (SELECT count(*) FROM allocations a WHERE a.hold_id = h.id AND a.resource_type = 'hold'
            AND a.booking_id = h.booking_id AND a.restaurant_id = h.restaurant_id
            AND a."window" = tstzrange(h.start_at, h.end_at, '[)') AND NOT a.shadow) AS mirror_of_hold
  FROM table_holds h;
-- One hold.created event, source capacity.hold, whose context names the hold.
SELECT * FROM hx_events;
SELECT e.context->>'hold_id' = h.id::text AS names_hold,
       e.restaurant_id = h.restaurant_id AS restaurant,
       (e.context->>'expires_at')::timestamptz = h.expires_at AS expires_at
  FROM observability_events e, table_holds h WHERE e.event_type = 'hold.created';

------------------------------------------------------------------------------------------
-- 2. Explicit arguments: window, creator, metadata (kept as given), TTL.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT bn(booking_id) AS booking, utc(start_at) AS start_utc, utc(end_at) AS end_utc,
       expires_at - created_at AS ttl, created_by = b(99) AS created_by_kept, metadata
  FROM create_table_hold(b(2), ARRAY[t(3)], p_ttl => '45 seconds',
                         p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 18:30+00',
                         p_created_by => b(99),
                         p_metadata => '{"source": "staff-app", "note": "window seat", "n": [1, 2]}');
SELECT * FROM hx_holds;
SELECT * FROM hx_members;
-- The mirror row carries the creator too.
SELECT booking, resource, start_utc, end_utc,
       (SELECT created_by = b(99) FROM allocations WHERE resource_type = 'hold') AS created_by_kept
  FROM hx_mirror;
-- p_metadata NULL is stored as '{}' (the column is NOT NULL); a non-object is a bad argument.
SELECT metadata FROM create_table_hold(b(1), ARRAY[t(1)], p_metadata => NULL);
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(7), t(8)], p_metadata => '[1, 2]')$$);
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(7), t(8)], p_metadata => '"text"')$$);
-- Named parameters work as PostgREST sends them, in any order.
SELECT array_length(table_ids, 1) AS tables
  FROM create_table_hold(p_table_ids => ARRAY[t(8), t(7)], p_booking_id => b(3));
-- Deduplicated and stored sorted: t(8), t(7) above became P1, P2.
SELECT booking, tables FROM hx_holds ORDER BY booking;

------------------------------------------------------------------------------------------
-- 3. TTL: 10 seconds to 1 hour inclusive; anything else is 22023 ttl_out_of_range.
--    Expiry is now() + p_ttl, independent of the dining window (which is in 2030).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT expires_at - created_at AS ttl, expires_at < start_at AS expires_before_dining
  FROM create_table_hold(b(1), ARRAY[t(1)], p_ttl => '10 seconds');
SELECT expires_at - created_at AS ttl, expires_at < start_at AS expires_before_dining
  FROM create_table_hold(b(2), ARRAY[t(2)], p_ttl => '1 hour');
SELECT expires_at - created_at AS ttl
  FROM create_table_hold(b(3), ARRAY[t(7), t(8)], p_ttl => '00:17:30.5');
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '9.999999 seconds')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '3600.000001 seconds')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '0')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '-3 minutes')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '1 day')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '1 month')$$);
-- NULL is the default, as when p_ttl is left out (PostgREST passes a JSON null as NULL).
BEGIN;
SELECT expires_at - now() AS ttl_when_null FROM create_table_hold(b(7), ARRAY[t(3)], p_ttl => NULL);
ROLLBACK;
-- Mixed units count as their total: 1 day - 23:59:51 is 9 seconds, 1 day - 23 hours is 1 hour.
-- (A day is a calendar day of the session's time zone, 23 or 25 hours across a daylight
-- saving change, as in now() + p_ttl; in UTC every day is 24 hours.)
SET TimeZone = 'UTC';
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '1 day -23:59:51')$$);
SELECT try($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '1 day -23 hours')$$);
RESET TimeZone;
-- The DETAIL names the bounds.
SELECT try_detail($$SELECT create_table_hold(b(7), ARRAY[t(3)], p_ttl => '5 seconds')$$);
-- Nothing was written by the refused calls: the four holds above only.
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 4. Bad arguments: 22023 before any row is read (a missing booking with a bad argument
--    still reads as the bad argument).
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT create_table_hold(NULL, ARRAY[t(1)])$$);
SELECT try($$SELECT create_table_hold(b(1), NULL)$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[]::uuid[])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), NULL])$$);
SELECT try($$SELECT create_table_hold(b(1), array(SELECT t(n) FROM generate_series(1, 17) AS n))$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_end_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 17:00+00')$$);
SELECT try($$SELECT create_table_hold(b(99), ARRAY[t(1)], p_ttl => '1 second')$$);
SELECT try($$SELECT create_table_hold(b(99), ARRAY[t(99), NULL])$$);
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 5. The same booking and table rules as an assignment.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
-- Missing booking or table: P0002.
SELECT try($$SELECT create_table_hold(b(99), ARRAY[t(1)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(99)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(99)])$$);
-- Bookings that can no longer be seated: 23514.
SELECT try($$SELECT create_table_hold(b(4), ARRAY[t(1)])$$);
SELECT try($$SELECT create_table_hold(b(5), ARRAY[t(1)])$$);
SELECT try($$SELECT create_table_hold(b(6), ARRAY[t(1)])$$);
-- Tables: another restaurant, inactive, out of service, two zones: 23514.
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(9)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(5)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(6)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(7)])$$);
-- Capacity: booking 3 is a party of 6; M1 seats 2, M1+M2+M3 seat 8.
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(1)])$$);
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(1), t(2), t(3)])$$);
-- ... and with the capacity_check flag off a short table is accepted.
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'capacity_check';
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(1)])$$);
UPDATE allocator_flags SET enabled = true WHERE name = 'capacity_check';
-- Merges: a fixed table cannot be merged (M4 is fixed) but can be held alone.
SELECT fixture_reset();
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(4)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(4)])$$);
-- Merges disabled: a merge is refused, a single table is not.
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'merges_enabled';
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(2)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)])$$);
UPDATE allocator_flags SET enabled = true WHERE name = 'merges_enabled';
-- Adjacency (path M1 - M2 - M3): without the requirement M1 + M3 is an ordinary merge;
-- with p_require_adjacency it is not connected (23514), while M1 + M2 + M3 is.
SELECT fixture_reset();
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(3)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(3)], p_require_adjacency => true)$$);
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(1), t(3)], p_require_adjacency => true,
                                      p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00')$$);
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(1), t(2), t(3)], p_require_adjacency => true,
                                      p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00')$$);
-- ... and the require_adjacency flag does the same without the argument.
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = true WHERE name = 'require_adjacency';
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(3)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(3), t(2), t(1)])$$);
UPDATE allocator_flags SET enabled = false WHERE name = 'require_adjacency';
-- Zone pin: a booking seated in the main room cannot hold a patio table.
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(7)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(2)])$$);
-- Since the last reset: the assignment and the one accepted hold (M2); the refused patio
-- hold wrote no hold, member, mirror row or event.
SELECT * FROM hx_holds ORDER BY booking;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 6. Conflicts: 23P01 with a JSON DETAIL naming the table, the other booking and, for a
--    hold, the hold.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
-- Another booking's assignment.
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(2)])$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(2)])$$);
SELECT contract(try_detail($$SELECT create_table_hold(b(1), ARRAY[t(2)])$$));
-- Another booking's live hold.
SELECT id AS hold_b3 FROM create_table_hold(b(3), ARRAY[t(7), t(8)]) \gset
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(8)], p_start_at => '2030-06-01 20:59+00', p_end_at => '2030-06-01 23:00+00')$$);
SELECT d->>'reason' AS reason, tn((d->>'table_id')::uuid) AS tbl, bn((d->>'conflicting_booking_id')::uuid) AS conflicting_booking,
       d->>'hold_id' = :'hold_b3' AS names_the_hold
  FROM try_detail($$SELECT create_table_hold(b(1), ARRAY[t(8)], p_start_at => '2030-06-01 20:59+00', p_end_at => '2030-06-01 23:00+00')$$) AS d;
-- The booking's own live hold on the same table and window is refused too (one live hold
-- per table and window; confirm or release it first).
SELECT try($$SELECT create_table_hold(b(3), ARRAY[t(7), t(8)])$$);
-- Windows are half-open: touching windows do not overlap, on assignments or holds.
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 23:00+00')$$);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(7)], p_start_at => '2030-06-01 17:00+00', p_end_at => '2030-06-01 19:00+00')$$);
-- Booking 2's own assignment does not block booking 2 holding the same table.
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(2)])$$);
SELECT * FROM hx_holds ORDER BY booking, start_utc;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 7. Expiry is logical: an expired hold blocks neither a hold nor an assignment, whether
--    or not the sweeper has run.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS old_hold FROM create_table_hold(b(2), ARRAY[t(1), t(2)], p_ttl => '10 seconds') \gset
SELECT id AS old_hold_2 FROM create_table_hold(b(3), ARRAY[t(7), t(8)], p_ttl => '10 seconds') \gset
-- Simulate time passing: as superuser, move both expiries one second into the past (the
-- same as waiting out the 10 second TTL). The sweeper has not run; the rows are still there.
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id IN (:'old_hold', :'old_hold_2');
SELECT * FROM hx_holds ORDER BY booking;
-- A new hold of another booking on an expired hold's table succeeds ...
SELECT bn(booking_id) AS booking, array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables, expires_at > now() AS live
  FROM create_table_hold(b(1), ARRAY[t(1)]);
-- ... and an assignment over the other expired hold succeeds too.
SELECT tn(table_id) AS tbl, merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(7), ARRAY[t(7), t(8)]) ORDER BY 1;
-- The expired hold in the new hold's way was removed by create_table_hold (members cannot
-- overlap) with its mirror rows and a hold.expired event; the one under the assignment is
-- still in the sweeper's backlog.
SELECT * FROM hx_holds ORDER BY booking;
SELECT id = :'old_hold_2' AS is_old_hold_2, bn(booking_id) AS booking FROM table_holds WHERE expires_at < now();
SELECT * FROM hx_mirror ORDER BY booking, resource_type, resource;
SELECT * FROM hx_events;
SELECT context->>'hold_id' = :'old_hold' AS names_old_hold
  FROM observability_events WHERE event_type = 'hold.expired';

-- The booking's own expired hold does not block it either: a new hold replaces it, and
-- the old one is gone for good (confirming it is P0002 hold_not_found).
SELECT fixture_reset();
SELECT id AS old_own FROM create_table_hold(b(1), ARRAY[t(1)], p_ttl => '10 seconds') \gset
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'old_own';
SELECT id AS new_own FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id = :'new_own' AS is_new_hold, expires_at > now() AS live FROM table_holds;
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'old_own', b(1)));
SELECT * FROM hx_events;

------------------------------------------------------------------------------------------
-- 8. Dual-write: hold mirror rows only while allocations_dual_write is on.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1), t(2)]);
SELECT * FROM counts();
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT count(*) FROM create_table_hold(b(3), ARRAY[t(7), t(8)]);
SELECT * FROM hx_mirror ORDER BY booking, resource;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 9. Transactional: a rolled-back create leaves no hold, member, mirror row or event; a
--    failed create inside a transaction writes nothing either.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
BEGIN;
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)]);
SELECT * FROM counts();
ROLLBACK;
SELECT * FROM counts();
-- A merge whose second table conflicts: nothing of the first table is left behind.
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1), t(2)])$$);
SELECT * FROM counts();
