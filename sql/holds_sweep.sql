-- sweep_expired_holds(p_limit): deletes up to p_limit expired holds, oldest expiry first,
-- with their members and mirror rows and one hold.expired event each (source
-- capacity.hold, severity info); returns how many. Live holds are never touched. After a
-- sweep, the runbook's backlog query
--     select id, booking_id, expires_at from table_holds where expires_at < now()
-- returns exactly the expired holds not yet swept.
--
-- Expiry is simulated: holds are created normally and their expires_at is then moved into
-- the past as superuser, which is what waiting out the TTL would do. Hold ids are random:
-- they are kept in psql variables with \gset and never printed.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();


------------------------------------------------------------------------------------------
-- 1. p_limit: below 1 or above 10000 is 22023 bad_limit (before any row is read); NULL is
-- the default, 500, as when it is left out.
------------------------------------------------------------------------------------------
BEGIN;
SELECT try($$SELECT sweep_expired_holds(NULL)$$);
ROLLBACK;
SELECT try($$SELECT sweep_expired_holds(0)$$);
SELECT try($$SELECT sweep_expired_holds(-1)$$);
SELECT try($$SELECT sweep_expired_holds(10001)$$);
SELECT try_detail($$SELECT sweep_expired_holds(10001)$$);
-- The bounds themselves are fine; with nothing expired the sweep returns 0.
SELECT sweep_expired_holds(1) AS swept, sweep_expired_holds(10000) AS swept_max, sweep_expired_holds() AS swept_default;
SELECT * FROM hx_events;

------------------------------------------------------------------------------------------
-- 2. Oldest first, live holds untouched, members / mirror rows / events per hold.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS ha FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id AS hb FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
SELECT id AS hc FROM create_table_hold(b(3), ARRAY[t(7), t(8)]) \gset
SELECT id AS hlive FROM create_table_hold(b(7), ARRAY[t(3)]) \gset
-- Simulate time passing: A expired 3 minutes ago, C 2 minutes ago, B 1 minute ago; the
-- fourth hold (booking 7) is still live.
UPDATE table_holds SET expires_at = now() - interval '3 minutes' WHERE id = :'ha';
UPDATE table_holds SET expires_at = now() - interval '2 minutes' WHERE id = :'hc';
UPDATE table_holds SET expires_at = now() - interval '1 minute' WHERE id = :'hb';
SELECT * FROM hx_holds ORDER BY booking;
SELECT * FROM counts();
-- The runbook's backlog query, verbatim apart from readable output: A, C, B.
SELECT CASE id WHEN :'ha' THEN 'A' WHEN :'hb' THEN 'B' WHEN :'hc' THEN 'C' END AS hold, bn(booking_id) AS booking
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog ORDER BY expires_at;
-- One at a time: A (the oldest) goes first ...
SELECT sweep_expired_holds(1) AS swept;
SELECT CASE id WHEN :'ha' THEN 'A' WHEN :'hb' THEN 'B' WHEN :'hc' THEN 'C' END AS hold, bn(booking_id) AS booking
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog ORDER BY expires_at;
-- ... then C ...
SELECT sweep_expired_holds(1) AS swept;
SELECT CASE id WHEN :'ha' THEN 'A' WHEN :'hb' THEN 'B' WHEN :'hc' THEN 'C' END AS hold, bn(booking_id) AS booking
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog ORDER BY expires_at;
-- ... and the rest (B) with the default limit; then nothing is left to sweep.
SELECT sweep_expired_holds() AS swept;
SELECT count(*) AS backlog FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog;
SELECT sweep_expired_holds() AS swept;
-- Only the live hold is left, with its member and mirror rows.
SELECT * FROM hx_holds ORDER BY booking;
SELECT * FROM hx_members ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY booking, resource;
SELECT * FROM counts();
SELECT id = :'hlive' AS is_live_hold FROM table_holds;
-- One hold.expired event per swept hold, in sweep order, naming the hold.
SELECT * FROM hx_events;
SELECT CASE context->>'hold_id' WHEN :'ha' THEN 'A' WHEN :'hb' THEN 'B' WHEN :'hc' THEN 'C' END AS hold,
       bn(booking_id) AS booking, restaurant_id = r(1) AS restaurant,
       context->'table_ids' = to_jsonb(CASE context->>'hold_id' WHEN :'hc' THEN ARRAY[t(7), t(8)]
                                                               WHEN :'ha' THEN ARRAY[t(1)] ELSE ARRAY[t(2)] END) AS tables
  FROM observability_events WHERE event_type = 'hold.expired' ORDER BY id;

------------------------------------------------------------------------------------------
-- 3. Batches: twelve expired holds (booking 1, M1, one per evening of June), each day's
--    hold expired that many minutes ago, so the oldest are the latest days. Sweeping in
--    batches of 5 takes days 12..8, then 7..3, then 2..1.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) AS created
  FROM generate_series(1, 12) AS d,
       LATERAL create_table_hold(b(1), ARRAY[t(1)], p_ttl => '10 seconds',
                                 p_start_at => '2030-06-01 19:00+00'::timestamptz + (d - 1) * interval '1 day',
                                 p_end_at => '2030-06-01 21:00+00'::timestamptz + (d - 1) * interval '1 day');
-- Simulate time passing: day d's hold expired d minutes ago.
UPDATE table_holds SET expires_at = now() - extract(day FROM start_at AT TIME ZONE 'UTC') * interval '1 minute';
SELECT sweep_expired_holds(5) AS swept;
SELECT array_agg(extract(day FROM start_at AT TIME ZONE 'UTC')::int ORDER BY expires_at) AS backlog_days
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog JOIN table_holds USING (id, booking_id, expires_at);
SELECT sweep_expired_holds(5) AS swept;
SELECT array_agg(extract(day FROM start_at AT TIME ZONE 'UTC')::int ORDER BY expires_at) AS backlog_days
  FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog JOIN table_holds USING (id, booking_id, expires_at);
SELECT sweep_expired_holds(5) AS swept;
SELECT count(*) AS backlog FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog;
SELECT * FROM counts();
SELECT event_type, source, severity, count(*) FROM hx_events GROUP BY 1, 2, 3 ORDER BY 1;
-- Each sweep (its own transaction, so its own created_at) wrote the events of its batch:
-- the oldest five, then the next five, then the last two. (The order of events inside one
-- batch is not part of the contract.)
SELECT array_agg(day ORDER BY day) AS batch_days
  FROM (SELECT id, created_at, extract(day FROM (context->>'start_at')::timestamptz AT TIME ZONE 'UTC')::int AS day
          FROM observability_events WHERE event_type = 'hold.expired') AS e
 GROUP BY created_at ORDER BY min(id);

------------------------------------------------------------------------------------------
-- 4. Sweeping never touches an assignment: booking 7 was seated over booking 2's expired
--    hold (expired holds do not block); the sweep removes the hold and keeps the seat.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(7), t(8)], p_ttl => '10 seconds') \gset
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id = :'h2';
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(7), t(8)]);
SELECT * FROM hx_mirror ORDER BY booking, resource_type, resource;
SELECT sweep_expired_holds() AS swept;
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM hx_mirror ORDER BY booking, resource_type, resource;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 5. Holds created with dual-write off have no mirror rows; sweeping them works the same.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'allocations_dual_write';
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
UPDATE allocator_flags SET enabled = true WHERE name = 'allocations_dual_write';
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
UPDATE table_holds SET expires_at = now() - interval '1 second';
SELECT * FROM counts();
SELECT sweep_expired_holds() AS swept;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 6. Transactional: a rolled-back sweep leaves the holds and writes no event.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1), t(2)]) \gset
UPDATE table_holds SET expires_at = now() - interval '1 second';
BEGIN;
SELECT sweep_expired_holds() AS swept;
SELECT * FROM counts();
ROLLBACK;
SELECT * FROM counts();
SELECT sweep_expired_holds() AS swept;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 7. The sweep deletes holds directly, leaving out the cascades of their members' and mirror
-- rows' foreign keys (it deletes those rows itself first), and keeps everything else a
-- DELETE does: an operator's own triggers on table_holds and the actions of an operator's
-- own foreign keys to it. A table_holds with a BEFORE ROW or a statement-level DELETE
-- trigger, or one with a transition table, is swept by one statement instead, with the same
-- result.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
CREATE TABLE regress_hold_notes (hold_id uuid NOT NULL REFERENCES table_holds (id) ON DELETE CASCADE, note text);
CREATE TABLE pg_temp.hold_deletions (hold_id uuid, seen text);
CREATE FUNCTION pg_temp.note_hold_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.hold_deletions VALUES (OLD.id, TG_WHEN || ' ' || TG_LEVEL);
    RETURN OLD;
END $$;
CREATE TRIGGER audit_hold_deletion AFTER DELETE ON table_holds
    FOR EACH ROW EXECUTE FUNCTION pg_temp.note_hold_deletion();
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2), t(3)]) \gset
SELECT id AS hlive FROM create_table_hold(b(7), ARRAY[t(7)]) \gset
INSERT INTO regress_hold_notes VALUES (:'h1', 'window seat'), (:'h2', 'birthday'), (:'hlive', 'regular');
UPDATE table_holds SET expires_at = now() - interval '1 second' WHERE id IN (:'h1', :'h2');
SELECT sweep_expired_holds() AS swept;
-- The AFTER ROW trigger saw both holds go, the operator's cascade took their notes, and
-- nothing of them is left behind.
SELECT count(*) FILTER (WHERE hold_id IN (:'h1', :'h2')) AS audited, count(*) AS audit_rows, min(seen) AS seen
  FROM pg_temp.hold_deletions;
SELECT note FROM regress_hold_notes;
SELECT * FROM counts();
SELECT count(*) AS orphan_members FROM table_hold_members m WHERE NOT EXISTS (SELECT FROM table_holds h WHERE h.id = m.hold_id);
SELECT count(*) AS orphan_mirror_rows FROM allocations a
 WHERE a.hold_id IS NOT NULL AND NOT EXISTS (SELECT FROM table_holds h WHERE h.id = a.hold_id);
DROP TRIGGER audit_hold_deletion ON table_holds;
DROP TABLE regress_hold_notes;

-- An operator's foreign key without a cascade still refuses: the sweep fails with 23503 and
-- loses nothing.
SELECT fixture_reset();
CREATE TABLE regress_hold_invoices (hold_id uuid NOT NULL REFERENCES table_holds (id));
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
INSERT INTO regress_hold_invoices VALUES (:'h1');
UPDATE table_holds SET expires_at = now() - interval '1 second';
SELECT * FROM counts();
-- (PostgreSQL's own error; its DETAIL names the random hold id.)
SELECT left(try($$SELECT sweep_expired_holds()$$), 5) AS sqlstate;
SELECT * FROM counts();
DROP TABLE regress_hold_invoices;
SELECT sweep_expired_holds() AS swept;

-- A BEFORE ROW trigger that keeps booking 1's hold: the statement sweeps the other one, and
-- counts and records only that one; the hold kept has lost its members and mirror rows, as
-- with a DELETE of a hold that a trigger keeps.
SELECT fixture_reset();
CREATE FUNCTION pg_temp.keep_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.booking_id = TG_ARGV[0]::uuid THEN RETURN NULL; END IF;
    RETURN OLD;
END $$;
SELECT b(1) AS b1 \gset
CREATE TRIGGER keep_booking_1 BEFORE DELETE ON table_holds FOR EACH ROW EXECUTE FUNCTION pg_temp.keep_booking(:'b1');
SELECT id AS h1 FROM create_table_hold(b(1), ARRAY[t(1)]) \gset
SELECT id AS h2 FROM create_table_hold(b(2), ARRAY[t(2)]) \gset
UPDATE table_holds SET expires_at = now() - interval '1 second';
SELECT sweep_expired_holds() AS swept;
SELECT bn(booking_id) AS booking FROM table_holds;
SELECT bn(booking_id) AS booking FROM observability_events WHERE event_type = 'hold.expired';
SELECT * FROM counts();
DROP TRIGGER keep_booking_1 ON table_holds;

-- Two holds (bookings 1 and 2) that have expired, swept: what the sweep returned.
CREATE FUNCTION pg_temp.sweep_two_expired_holds() RETURNS integer LANGUAGE sql AS $$
    SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)]);
    SELECT count(*) FROM create_table_hold(b(2), ARRAY[t(2)]);
    UPDATE table_holds SET expires_at = now() - interval '1 second';
    SELECT sweep_expired_holds();
$$;

-- A statement-level trigger fires once a sweep.
SELECT fixture_reset();
TRUNCATE pg_temp.hold_deletions;
CREATE FUNCTION pg_temp.note_sweep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.hold_deletions VALUES (NULL, TG_WHEN || ' ' || TG_LEVEL);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_hold_sweep AFTER DELETE ON table_holds
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.note_sweep();
SELECT pg_temp.sweep_two_expired_holds() AS swept;
SELECT seen, count(*) FROM pg_temp.hold_deletions GROUP BY seen;
SELECT * FROM counts();
DROP TRIGGER audit_hold_sweep ON table_holds;

-- A row trigger with a transition table sees every hold of the batch (the batch is the one
-- statement then: a direct delete fills no transition table).
SELECT fixture_reset();
TRUNCATE pg_temp.hold_deletions;
CREATE FUNCTION pg_temp.note_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.hold_deletions SELECT OLD.id, (SELECT count(*) FROM gone) || ' in the batch';
    RETURN NULL;
END $$;
CREATE TRIGGER audit_hold_batch AFTER DELETE ON table_holds REFERENCING OLD TABLE AS gone
    FOR EACH ROW EXECUTE FUNCTION pg_temp.note_batch();
SELECT pg_temp.sweep_two_expired_holds() AS swept;
SELECT seen, count(*) FROM pg_temp.hold_deletions GROUP BY seen;
SELECT * FROM counts();
DROP TRIGGER audit_hold_batch ON table_holds;
