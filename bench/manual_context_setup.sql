-- A restaurant for the manual_context benchmark: 200 tables in 4 zones (every other table
-- movable, each zone an adjacency chain), 10,000 bookings over 10 days in 5 two-hour slots,
-- each seated by assign_tables_atomic_v2 (so every table is busy in every slot and the
-- mirror, ledger and zone pins are real); 300 live holds and 500 expired ones (a sweeper
-- backlog) on the two days after; 20,000 events, a conflict event for every fourth booking.
-- Booking n is 0000000c-…-n (n = 1..10000), table n is 0000000b-…-n.
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.id(prefix text, n int) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN (prefix || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid;

INSERT INTO zones (id, restaurant_id, name)
SELECT pg_temp.id('0000000a', z), pg_temp.id('00000001', 1), 'zone ' || z FROM generate_series(1, 4) AS z;
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT pg_temp.id('0000000b', n), pg_temp.id('00000001', 1), pg_temp.id('0000000a', (n - 1) / 50 + 1),
       'T' || lpad(n::text, 3, '0'), 2 + 2 * (n % 3), CASE WHEN n % 2 = 0 THEN 'movable' ELSE 'fixed' END
  FROM generate_series(1, 200) AS n;
INSERT INTO table_adjacencies (table_a, table_b)
SELECT pg_temp.id('0000000b', n), pg_temp.id('0000000b', n + 1)
  FROM generate_series(1, 199) AS n WHERE n % 50 <> 0;

-- Booking n: day (n-1) / 1000, slot ((n-1) / 200) % 5, table ((n-1) % 200) + 1.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT pg_temp.id('0000000c', n), pg_temp.id('00000001', 1), 2,
       timestamptz '2031-03-01 11:00+00' + ((n - 1) / 1000) * interval '1 day' + (((n - 1) / 200) % 5) * interval '2 hours',
       timestamptz '2031-03-01 13:00+00' + ((n - 1) / 1000) * interval '1 day' + (((n - 1) / 200) % 5) * interval '2 hours',
       'confirmed'
  FROM generate_series(1, 10000) AS n;
SELECT count(*) AS assigned
  FROM generate_series(1, 10000) AS n,
       LATERAL assign_tables_atomic_v2(pg_temp.id('0000000c', n), ARRAY[pg_temp.id('0000000b', (n - 1) % 200 + 1)]);

-- Holds (written directly: the benchmark needs them present, not created).
INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
SELECT pg_temp.id('0000000d', h), pg_temp.id('0000000c', h), pg_temp.id('00000001', 1),
       pg_temp.id('0000000a', ((h - 1) % 200) / 50 + 1), ARRAY[pg_temp.id('0000000b', (h - 1) % 200 + 1)],
       timestamptz '2031-03-11 19:00+00' + ((h - 1) / 200) * interval '1 day',
       timestamptz '2031-03-11 21:00+00' + ((h - 1) / 200) * interval '1 day',
       CASE WHEN h <= 300 THEN now() + interval '1 hour' ELSE now() - interval '10 minutes' END
  FROM generate_series(1, 800) AS h;
INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
SELECT h.id, t, h.start_at, h.end_at FROM table_holds h, unnest(h.table_ids) AS t;
INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", hold_id)
SELECT h.booking_id, h.restaurant_id, 'hold', t, tstzrange(h.start_at, h.end_at, '[)'), h.id
  FROM table_holds h, unnest(h.table_ids) AS t;

INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
SELECT now() - n * interval '1 second', 'capacity.hold', 'hold.created', 'info', pg_temp.id('00000001', 1),
       pg_temp.id('0000000c', (n - 1) % 10000 + 1), jsonb_build_object('n', n)
  FROM generate_series(1, 17500) AS n;
INSERT INTO observability_events (created_at, source, event_type, severity, restaurant_id, booking_id, context)
SELECT now() - n * interval '1 second', 'capacity.selector', 'capacity.selector.assignment', 'warning',
       pg_temp.id('00000001', 1), pg_temp.id('0000000c', n * 4),
       jsonb_build_object('function', 'assign_tables_atomic_v2', 'table_id', pg_temp.id('0000000b', n % 200 + 1),
                          'error', jsonb_build_object('code', '23P01', 'message', 'table is taken'))
  FROM generate_series(1, 2500) AS n;
VACUUM ANALYZE;

SELECT (SELECT count(*) FROM table_inventory) AS tables, (SELECT count(*) FROM bookings) AS bookings,
       (SELECT count(*) FROM booking_table_assignments) AS assignments, (SELECT count(*) FROM table_holds) AS holds,
       (SELECT count(*) FROM allocations) AS mirror_rows, (SELECT count(*) FROM observability_events) AS events;
