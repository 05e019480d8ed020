-- docs/failure-modes.md, items 5 and 6: failure modes of the PL/pgSQL original that this extension
-- must not repeat, one clearly labelled regression test each (with its parts).
--
--   Item 5. The hold-conflict error itself crashed (bad format string) and surfaced as
--           22023. Now: 23P01 with a JSON DETAIL {"reason": "hold_overlap", "hold_id": ...,
--           "table_id": ...}, a message naming the objects and a HINT, from both
--           create_table_hold and assign_tables_atomic_v2.
--   Item 6. Holds could not expire before the dining window ended; release never worked;
--           the sweeper's own event was rejected by a CHECK and the error swallowed.
--
-- Expiry is simulated by moving a hold's expires_at into the past as superuser, which is
-- what waiting out its TTL would do. Hold ids are random: kept in psql variables with \gset
-- and shown only as placeholders.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- docs/failure-modes.md#5-hold-conflict-error: the hold-conflict error is 23P01 with a JSON DETAIL (reason hold_overlap,
-- hold_id, table_id), never a crash and never 22023.
------------------------------------------------------------------------------------------
-- A table whose number is a format-string bomb, so a message built with a bad format
-- string would show it; booking 1 holds it together with M1.
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility, active, status)
VALUES (t(10), r(1), z(1), '%s%d%n%%', 4, 'movable', true, 'available');
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(10)], p_metadata => '{"note": "%s %d %n"}') \gset
-- 5a. Another booking's hold on an overlapping window, through create_table_hold.
SELECT e.state, replace(replace(replace(replace(e.message, :'h1', '<h1>'), t(10)::text, '<t10>'), t(1)::text, '<t1>'), b(1)::text, '<b1>') AS message,
       e.detail IS NOT NULL AS detail_is_object, e.detail->>'reason' AS reason, e.detail->>'hold_id' = :'h1' AS hold_id_is_h1,
       tn((e.detail->>'table_id')::uuid) AS table_id, bn((e.detail->>'conflicting_booking_id')::uuid) AS conflicting_booking_id,
       e.hint
  FROM caught($$SELECT create_table_hold(b(2), ARRAY[t(10)], p_start_at => '2030-06-01 20:00+00', p_end_at => '2030-06-01 20:30+00')$$) AS e;
-- 5b. The same conflict through assign_tables_atomic_v2.
SELECT e.state, e.detail IS NOT NULL AS detail_is_object, e.detail->>'reason' AS reason, e.detail->>'hold_id' = :'h1' AS hold_id_is_h1,
       tn((e.detail->>'table_id')::uuid) AS table_id, bn((e.detail->>'conflicting_booking_id')::uuid) AS conflicting_booking_id,
       e.hint IS NOT NULL AS has_hint
  FROM caught($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(10)])$$) AS e;
-- 5c. Several held tables requested: the DETAIL names one of them, the hold and its booking.
SELECT e.state, e.detail->>'reason' AS reason, e.detail->>'hold_id' = :'h1' AS hold_id_is_h1,
       tn((e.detail->>'table_id')::uuid) IN ('M1', '%s%d%n%%') AS table_id_is_held, e.detail ?& ARRAY['window', 'conflicting_window'] AS has_windows
  FROM caught($$SELECT create_table_hold(b(2), ARRAY[t(2), t(1), t(10)])$$) AS e;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(1)])$$);
-- 5d. A race the allocator's checks did not see is caught by the members' exclusion
-- constraint with the same SQLSTATE (written directly here, as superuser).
SELECT e.state, e.message LIKE '%table_hold_members_no_overlap%' AS names_constraint
  FROM caught(format($$INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
                         VALUES ('0000000d-0000-4000-8000-000000000001', %L, %L, %L, ARRAY[%L]::uuid[], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '1 minute');
                         INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
                         VALUES ('0000000d-0000-4000-8000-000000000001', %L, '2030-06-01 20:00+00', '2030-06-01 22:00+00')$$,
                       b(2), r(1), z(1), t(1), t(1))) AS e;
-- Nothing was written by any of the refused calls: booking 1's hold only.
SELECT * FROM hx_holds;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- docs/failure-modes.md#6-hold-lifecycle: holds expire by their TTL, whatever the dining window; release works;
-- the sweeper's event is accepted and an event failure is never swallowed.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
-- 6a. A hold for a dinner in 2030 with a 10 second TTL expires 10 seconds after it was
-- created, years before its dining window even starts.
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)], p_ttl => '10 seconds') \gset
SELECT expires_at - created_at AS ttl, expires_at < start_at AS expires_before_window,
       start_at - expires_at > interval '1 year' AS window_years_later
  FROM table_holds WHERE id = :'h1';
-- Simulate the 10 seconds passing (expires_at moved to one second ago, as superuser).
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'h1';
-- The dining window has not ended (nor started), yet the hold is expired everywhere:
-- it is in the runbook's backlog ...
SELECT id = :'h1' AS is_h1, bn(booking_id) AS booking
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog;
-- ... it can no longer be confirmed (P0002 hold_expired) ...
SELECT try(format('SELECT confirm_table_hold(%L, %L)', :'h1', b(1)));
-- ... it no longer blocks another booking's assignment (before any sweep) ...
SELECT tn(table_id) AS tbl FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
-- ... nor another booking's hold on its other table ...
SELECT bn(booking_id) AS booking, array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables, expires_at > now() AS live
  FROM create_table_hold(b(7), ARRAY[t(1)]);
-- ... (that create removed the expired hold in its way, with a hold.expired event) ...
SELECT count(*) AS h1_left FROM table_holds WHERE id = :'h1';
SELECT event_type, bn(booking_id) AS booking, context->>'hold_id' = :'h1' AS is_h1, context->>'removed_by' AS removed_by
  FROM observability_events WHERE event_type = 'hold.expired';
-- ... and an expired hold nobody got in the way of is taken by the sweeper while its
-- dining window is still in the future.
SELECT id AS h3 FROM create_table_hold(b(3), ARRAY[t(7), t(8)], p_ttl => '10 seconds') \gset
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'h3';
SELECT sweep_expired_holds() AS swept;
SELECT count(*) AS h3_left FROM table_holds WHERE id = :'h3';
SELECT * FROM hx_holds ORDER BY booking;

-- 6b. Release works: it returns true, deletes the hold, its members and its mirror rows,
-- records hold.released, and the tables are free for another booking at once (no wait
-- for expiry); a second release is false.
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)]) \gset
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(1)])$$) AS before_release;
SELECT release_table_hold(:'h1', b(1)) AS released;
SELECT * FROM counts();
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(1)])$$) AS after_release;
SELECT id AS h2 FROM table_holds WHERE booking_id = b(2) \gset
SELECT release_table_hold(:'h2') AS released_without_booking;
SELECT release_table_hold(:'h1', b(1)) AS released_again;
SELECT * FROM counts();
SELECT event_type, booking FROM hx_events;

-- 6c. The sweeper's hold.expired event passes the severity CHECK: one event per swept
-- hold, severity 'info', source 'capacity.hold'.
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
UPDATE table_holds SET expires_at = now() - interval '1 second';
SELECT sweep_expired_holds() AS swept;
SELECT event_type, source, severity, count(*) AS events
  FROM observability_events WHERE event_type = 'hold.expired' GROUP BY 1, 2, 3;
SELECT count(*) FILTER (WHERE context->>'hold_id' IN (:'h1', :'h2')) AS naming_the_swept_holds
  FROM observability_events WHERE event_type = 'hold.expired';
-- The CHECK is real: a severity outside its list is refused (so the events above passed it).
SELECT e.state, e.message LIKE '%observability_events_severity_check%' AS names_the_check
  FROM caught($$INSERT INTO observability_events (source, event_type, severity) VALUES ('capacity.hold', 'hold.expired', 'notice')$$) AS e;

-- 6d. An event that cannot be written is not swallowed: with a CHECK that rejects
-- hold.expired rows (the original's failure, recreated for the length of a transaction),
-- the sweep fails with that CHECK's error and deletes nothing.
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
UPDATE table_holds SET expires_at = now() - interval '1 second';
BEGIN;
ALTER TABLE observability_events ADD CONSTRAINT hx_reject_expired CHECK (event_type <> 'hold.expired') NOT VALID;
SELECT e.state, e.message LIKE '%hx_reject_expired%' AS names_the_check
  FROM caught($$SELECT sweep_expired_holds()$$) AS e;
SELECT * FROM counts();
-- The same for the other hold events. (Booking 2 first takes a hold while they still can
-- be written.)
SELECT count(*) FROM create_table_hold(b(2), ARRAY[t(2)]);
ALTER TABLE observability_events DROP CONSTRAINT hx_reject_expired;
ALTER TABLE observability_events ADD CONSTRAINT hx_reject_holds CHECK (event_type NOT LIKE 'hold.%') NOT VALID;
-- Booking 7 over booking 1's expired hold on M1 (the create removes it: hold.expired) ...
SELECT e.state, e.message LIKE '%hx_reject_holds%' AS names_the_check
  FROM caught($$SELECT create_table_hold(b(7), ARRAY[t(1)])$$) AS e;
-- ... a fresh hold (hold.created) and a release (hold.released).
SELECT e.state, e.message LIKE '%hx_reject_holds%' AS names_the_check
  FROM caught($$SELECT create_table_hold(b(3), ARRAY[t(7), t(8)])$$) AS e;
SELECT e.state, e.message LIKE '%hx_reject_holds%' AS names_the_check
  FROM caught(format('SELECT release_table_hold(%L)', :'h1')) AS e;
-- Booking 1's expired hold and booking 2's new one are all there is.
SELECT * FROM counts();
ROLLBACK;
-- After the transaction: the expired hold is still waiting, and a normal sweep takes it.
SELECT * FROM counts();
SELECT sweep_expired_holds() AS swept;
SELECT * FROM counts();
