-- docs/operations.md#the-runbooks-sql-snippets: every SQL snippet as the runbook prints it (placeholders filled: <booking-id>
-- b7 = 0000000c-...-07 or b2 = ...-02, <hold-id> h1 = 0000000d-...-01), run on a known
-- state, with the answer it must give. The pg_locks snippet is the one exception: stock
-- PostgreSQL rejects it (22P02) and docs/operations.md ships the corrected query, run here
-- too. Where a snippet's output depends on the clock it runs as the body of a temporary
-- view, and the view is read for what is stable.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();

-- Known state: b1 on M1, b2 merged on M2+M3; b7 holds P1 (live, h1) and P2 (another day,
-- live, h2); b3's hold on M4 (h3) and b7's on M4 the next day (h4) have expired.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)]);
SELECT put_hold(1, b(7), ARRAY[t(7)], '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() + interval '3 minutes');
SELECT put_hold(2, b(7), ARRAY[t(8)], '2030-06-02 20:00+00', '2030-06-02 22:00+00', now() + interval '5 minutes');
SELECT put_hold(3, b(3), ARRAY[t(4)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() - interval '6 minutes');
SELECT put_hold(4, b(7), ARRAY[t(4)], '2030-06-02 19:00+00', '2030-06-02 21:00+00', now() - interval '2 minutes');
UPDATE table_holds SET metadata = '{"source": "staff-app", "staff": "ana"}' WHERE id = h(1);
-- (put_hold writes no mirror rows: let the repair add them, so the mirror is right.)
SELECT action, rows FROM allocator_repair_mirror() WHERE rows > 0;
SELECT * FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 1. Lock contention, check 2. As printed it fails: regclass has no = of its own, the
--    literal is read as an oid (22P02).
------------------------------------------------------------------------------------------
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(4)]);
select * from pg_locks where relation::regclass = 'booking_table_assignments';
ROLLBACK;
-- The corrected query (docs/operations.md): this session's open assignment shows as a
-- granted ROW EXCLUSIVE lock on booking_table_assignments.
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(b(7), ARRAY[t(4)]);
CREATE TEMP VIEW runbook_pg_locks AS
select * from pg_locks where relation = 'booking_table_assignments'::regclass;
SELECT locktype, mode, granted FROM runbook_pg_locks WHERE pid = pg_backend_pid() AND mode = 'RowExclusiveLock';
ROLLBACK;

------------------------------------------------------------------------------------------
-- 2. Hold expiry backlog, check 1: exactly the expired holds (h3, h4), not the live ones.
------------------------------------------------------------------------------------------
CREATE TEMP VIEW runbook_backlog AS
select id, booking_id, expires_at from table_holds where expires_at < now();
SELECT hn(id) AS hold, bn(booking_id) AS booking, expires_at < now() AS expired FROM runbook_backlog ORDER BY 1;
-- It is the sweeper's backlog: after a sweep it is empty.
SELECT sweep_expired_holds();
SELECT count(*) AS backlog FROM runbook_backlog;

------------------------------------------------------------------------------------------
-- Manual procedures: release a specific hold (h1, b7's hold on P1).
------------------------------------------------------------------------------------------
CREATE TEMP VIEW runbook_hold AS
-- Inspect hold metadata
select id, booking_id, expires_at, metadata
from table_holds
where id = '0000000d-0000-4000-8000-000000000001';
SELECT hn(id) AS hold, bn(booking_id) AS booking, expires_at > now() AS live, metadata FROM runbook_hold;

-- Release (mirrors DELETE endpoint)
select release_table_hold('0000000d-0000-4000-8000-000000000001'::uuid);
-- Released: gone, with its members; releasing again is false (idempotent).
SELECT count(*) AS hold_rows FROM runbook_hold;
SELECT count(*) AS member_rows FROM table_hold_members WHERE hold_id = h(1);
select release_table_hold('0000000d-0000-4000-8000-000000000001'::uuid);
SELECT event_type, bn(booking_id) AS booking FROM observability_events WHERE event_type = 'hold.released';

------------------------------------------------------------------------------------------
-- Helpful SQL snippets.
------------------------------------------------------------------------------------------
-- Active holds for b7: only h2 is left live (h1 released, h4 swept).
CREATE TEMP VIEW runbook_active_holds AS
-- Active holds for a booking
select id, table_ids, expires_at
from table_holds
where booking_id = '0000000c-0000-4000-8000-000000000007'
  and expires_at > now();
SELECT hn(id) AS hold, array(SELECT tn(x) FROM unnest(table_ids) AS x) AS tables, expires_at > now() AS live
  FROM runbook_active_holds;

-- Detect overlapping allocations for b2: nothing while the mirror is right; a table row
-- mirrored twice (the stale state the runbook hunts) is found, and allocator_verify()
-- names the same row; after allocator_repair_mirror() it is gone.
-- Detect overlapping allocations
select resource_id, count(*)
from allocations
where resource_type = 'table'
  and booking_id = '0000000c-0000-4000-8000-000000000002'
group by resource_id
having count(*) > 1;
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id)
SELECT booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id
  FROM allocations WHERE resource_type = 'table' AND resource_id = t(3);
CREATE TEMP VIEW runbook_overlaps AS
-- Detect overlapping allocations
select resource_id, count(*)
from allocations
where resource_type = 'table'
  and booking_id = '0000000c-0000-4000-8000-000000000002'
group by resource_id
having count(*) > 1;
SELECT tn(resource_id) AS tbl, count FROM runbook_overlaps;
SELECT problem, tn((detail->>'resource_id')::uuid) AS tbl, detail->>'why' AS why FROM allocator_verify();
SELECT action, rows FROM allocator_repair_mirror() WHERE rows > 0;
SELECT count(*) AS overlaps FROM runbook_overlaps;

-- Recent RPC conflicts: events in the shape the telemetry worker writes (assign / confirm
-- conflicts under capacity.selector), newest first; a hold conflict (capacity.hold) and an
-- event without an error are not among them.
INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
VALUES (now() - interval '30 seconds', 'capacity.selector', 'capacity.selector.assignment', 'warning', r(1), b(3),
        jsonb_build_object('function', 'assign_tables_atomic_v2', 'table_id', t(1), 'conflicting_booking_id', b(1),
                           'error', jsonb_build_object('code', '23P01',
                                                       'message', 'table M1 is assigned to booking b1 for an overlapping window'))),
       (now() - interval '10 seconds', 'capacity.selector', 'capacity.selector.assignment', 'warning', r(1), b(3),
        jsonb_build_object('function', 'confirm_table_hold', 'table_id', t(2), 'conflicting_booking_id', b(2),
                           'error', jsonb_build_object('code', '23P01',
                                                       'message', 'table M2 is assigned to booking b2 for an overlapping window'))),
       (now() - interval '20 seconds', 'capacity.hold', 'hold.conflict', 'warning', r(1), b(3),
        jsonb_build_object('function', 'create_table_hold', 'table_id', t(7),
                           'error', jsonb_build_object('code', '23P01', 'message', 'table P1 is held'))),
       (now(), 'capacity.selector', 'capacity.selector.assignment', 'info', r(1), b(3), '{}');
CREATE TEMP VIEW runbook_conflicts AS
-- Recent RPC conflicts
select created_at, context->'error'->>'message' as message
from observability_events
where source = 'capacity.selector'
  and event_type = 'capacity.selector.assignment'
  and context->'error' is not null
order by created_at desc
limit 20;
SELECT message, created_at > now() - interval '1 minute' AS recent FROM runbook_conflicts;

SELECT ops_reset();
