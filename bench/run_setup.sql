-- bench/run.sh's data and its bench-only objects (schema "bench"), loaded once into a
-- throwaway cluster; nothing here is part of the extension. psql -v sets how many bookings
-- each workload's range holds: bare, same_rows, assign, merge, hold_confirm, hold_release,
-- merge_rows (optional).
--
-- Numbering (ids as bench/setup.sql's, so bench/profile_expired_holds.sql works here):
--   table n = 0000000b-…-n, booking n = 0000000c-…-n.
--   Restaurant 1, zone 1: tables 1-1000, all movable, 4 seats; adjacency edges between
--     tables 2p+1 and 2p+2 (the merge workload's pairs).
--   Bookings 1-250: the sweeper backlog's (one evening each, on distinct days of 2031),
--     never touched by a workload.
--   Restaurant 2, zone 2: tables 1001-1010 in an adjacency chain, bookings 501-520 all on
--     one evening: the contended workload.
--   From 1000 on, one range of booking numbers per workload (bench.ranges), each with its
--     own sequence bench.<workload>_seq whose values are the range's booking numbers and
--     which errors out when the range is used up. Booking n of a one-table range sits on
--     table n % 1000 + 1 in its own 2-hour slot n / 1000 (bench.slot_start); in the merge
--     range (two tables a booking) on tables 2(n % 500) + 1 and + 2, 500 bookings a slot.
--     So no booking's window ever overlaps another's on a table: no call ever conflicts.
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
CREATE SCHEMA bench;

-- Ids and windows by number; plain SQL functions, which the planner inlines.
CREATE FUNCTION bench.booking_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
RETURN ('0000000c-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION bench.table_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
RETURN ('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION bench.zone_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
RETURN ('0000000a-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION bench.restaurant_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
RETURN ('00000001-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION bench.slot_start(slot bigint) RETURNS timestamptz LANGUAGE sql STABLE
RETURN timestamptz '2032-01-01 00:00+00' + slot * interval '2 hours';

INSERT INTO zones (id, restaurant_id, name)
VALUES (bench.zone_id(1), bench.restaurant_id(1), 'main'), (bench.zone_id(2), bench.restaurant_id(2), 'contended');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT bench.table_id(n), bench.restaurant_id(r), bench.zone_id(r), 'T' || n, 4, 'movable'
  FROM generate_series(1, 1010) AS n, LATERAL (SELECT CASE WHEN n <= 1000 THEN 1 ELSE 2 END AS r) AS z;
INSERT INTO table_adjacencies (table_a, table_b)
SELECT bench.table_id(2 * p + 1), bench.table_id(2 * p + 2) FROM generate_series(0, 499) AS p
UNION ALL
SELECT bench.table_id(n), bench.table_id(n + 1) FROM generate_series(1001, 1009) AS n;

-- The backlog's bookings (bench/profile_expired_holds.sql: hold h is booking (h - 1) / 400 + 1
-- on table (h - 1) % 400 + 1) and the contended evening's.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT bench.booking_id(n), bench.restaurant_id(1), 2,
       timestamptz '2031-01-01 19:00+00' + n * interval '1 day',
       timestamptz '2031-01-01 21:00+00' + n * interval '1 day', 'confirmed'
  FROM generate_series(1, 250) AS n
UNION ALL
SELECT bench.booking_id(n), bench.restaurant_id(2), 2,
       timestamptz '2030-06-01 19:00+00', timestamptz '2030-06-01 21:00+00', 'confirmed'
  FROM generate_series(501, 520) AS n;

CREATE TABLE bench.ranges (
    workload text PRIMARY KEY,
    first    bigint NOT NULL,  -- the range's first booking number, a multiple of 1000
    count    bigint NOT NULL,
    width    int NOT NULL      -- tables a booking: 1 or 2
);
-- bench.add_range(WORKLOAD, COUNT, WIDTH, BOOKINGS): the next COUNT booking numbers as
-- WORKLOAD's range, its sequence, and (unless BOOKINGS is false) the bookings themselves.
CREATE FUNCTION bench.add_range(p_workload text, p_count bigint, p_width int, p_bookings boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint := coalesce((SELECT max(((first + count * width + 999) / 1000) * 1000) FROM bench.ranges), 1000);
BEGIN
    INSERT INTO bench.ranges VALUES (p_workload, v_first, p_count, p_width);
    EXECUTE format('CREATE SEQUENCE bench.%I MINVALUE %s MAXVALUE %s START %s',
                   p_workload || '_seq', v_first, v_first + p_count - 1, v_first);
    IF p_bookings THEN
        INSERT INTO public.bookings (id, restaurant_id, party_size, start_at, end_at, status)
        SELECT bench.booking_id(n), bench.restaurant_id(1), 2, bench.slot_start(s), bench.slot_start(s + 1), 'confirmed'
          FROM generate_series(v_first, v_first + p_count - 1) AS n,
               LATERAL (SELECT v_first / 1000 + (n - v_first) / (1000 / p_width) AS s) AS slot;
    END IF;
END
$$;
-- How many numbers WORKLOAD's sequence has handed out.
CREATE FUNCTION bench.used(p_workload text) RETURNS bigint LANGUAGE sql STABLE
RETURN (SELECT coalesce(s.last_value - s.min_value + 1, 0) FROM pg_sequences s
         WHERE s.schemaname = 'bench' AND s.sequencename = p_workload || '_seq');
-- Assignment rows of the bookings of WORKLOAD's range.
CREATE FUNCTION bench.assigned(p_workload text) RETURNS bigint LANGUAGE sql STABLE
RETURN (SELECT count(*) FROM public.booking_table_assignments a, bench.ranges r
         WHERE r.workload = p_workload
           AND a.booking_id BETWEEN bench.booking_id(r.first) AND bench.booking_id(r.first + r.count - 1));

SELECT bench.add_range('bare', :bare, 1, false);
SELECT bench.add_range('same_rows', :same_rows, 1, true);
SELECT bench.add_range('assign', :assign, 1, true);
SELECT bench.add_range('merge', :merge, 2, true);
SELECT bench.add_range('hold_confirm', :hold_confirm, 1, true);
SELECT bench.add_range('hold_release', :hold_release, 1, true);
-- The merge-rows floor's range (run.sh), last so the ranges above keep their numbers; other
-- callers of this file may leave it out.
\if :{?merge_rows}
SELECT bench.add_range('merge_rows', :merge_rows, 2, true);
\endif
-- Unassign walks the assign range in the same order, over what the assign rounds assigned.
SELECT format('CREATE SEQUENCE bench.unassign_seq MINVALUE %s MAXVALUE %s START %s', first, first + count - 1, first)
  FROM bench.ranges WHERE workload = 'assign' \gexec

-- The bare floor's table: booking_table_assignments' keys and exclusion constraint, nothing else.
CREATE TABLE bench.bare_assignments (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id uuid NOT NULL,
    table_id   uuid NOT NULL,
    start_at   timestamptz NOT NULL,
    end_at     timestamptz NOT NULL,
    UNIQUE (booking_id, table_id),
    EXCLUDE USING gist (table_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)
);

-- What each call of the contended workload and of the sweep probe ended with: '00000' or
-- the SQLSTATE it raised. Append-only, unlogged, no index: no client ever waits on another here.
CREATE UNLOGGED TABLE bench.outcomes (workload text NOT NULL, action text NOT NULL, sqlstate text NOT NULL);

-- bench.attempt(WORKLOAD, ACTION, BOOKING, TABLE, HOLD): one allocator call, by number;
-- an error is caught and recorded (pgbench would abort the client), and it returns normally.
CREATE FUNCTION bench.attempt(p_workload text, p_action text, p_booking bigint, p_table bigint, p_hold uuid)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    booking uuid := bench.booking_id(p_booking);
    tables uuid[] := ARRAY[bench.table_id(p_table)];
    key text := gen_random_uuid()::text;   -- a fresh key: never a replay
BEGIN
    BEGIN
        CASE p_action
        WHEN 'assign' THEN
            PERFORM FROM public.assign_tables_atomic_v2(booking, tables, p_idempotency_key => key);
        WHEN 'merge' THEN   -- with its neighbour in the chain
            PERFORM FROM public.assign_tables_atomic_v2(
                booking, tables || bench.table_id(CASE WHEN p_table % 10 = 0 THEN p_table - 1 ELSE p_table + 1 END),
                p_idempotency_key => key, p_require_adjacency => true);
        WHEN 'hold' THEN
            PERFORM FROM public.create_table_hold(booking, tables);
        WHEN 'hold + release' THEN
            PERFORM public.release_table_hold(h.id) FROM public.create_table_hold(booking, tables) AS h;
        WHEN 'confirm' THEN
            PERFORM FROM public.confirm_table_hold(p_hold, booking, key);
        WHEN 'release' THEN
            PERFORM public.release_table_hold(p_hold);
        WHEN 'unassign' THEN
            PERFORM FROM public.unassign_tables_atomic(booking);
        END CASE;
        INSERT INTO bench.outcomes VALUES (p_workload, p_action, '00000');
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO bench.outcomes VALUES (p_workload, p_action, SQLSTATE);
    END;
    RETURN p_action;
END
$$;

-- One step of the contended workload for booking BOOKING: a booking with a live hold
-- confirms it (ROLL <= 50) or releases it, one with tables is unassigned, and any other is
-- assigned table TABLE (ROLL <= 40), merged onto TABLE and its neighbour (ROLL <= 60) or
-- holds TABLE. So the evening stays about as full at the end as after the warm-up.
CREATE FUNCTION bench.contended_step(p_booking bigint, p_table bigint, p_roll int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    hold uuid;
BEGIN
    SELECT h.id INTO hold FROM public.table_holds h
     WHERE h.booking_id = bench.booking_id(p_booking) AND h.expires_at > now() LIMIT 1;
    RETURN bench.attempt('contended', CASE
        WHEN hold IS NOT NULL THEN CASE WHEN p_roll <= 50 THEN 'confirm' ELSE 'release' END
        WHEN EXISTS (SELECT FROM public.booking_table_assignments a WHERE a.booking_id = bench.booking_id(p_booking))
            THEN 'unassign'
        WHEN p_roll <= 40 THEN 'assign'
        WHEN p_roll <= 60 THEN 'merge'
        ELSE 'hold' END, p_booking, p_table, hold);
END
$$;

-- Only what was loaded here. The allocator's own tables stay as CREATE EXTENSION made them,
-- never analyzed: analyzed while empty, they would make the first connections cache plans
-- for empty tables (a foreign-key check of the same-rows floor then seq-scans a growing
-- booking_table_assignments, and decays from ~1,900 to ~500 tps within 20 s).
VACUUM ANALYZE bookings, table_inventory, table_adjacencies, zones;
