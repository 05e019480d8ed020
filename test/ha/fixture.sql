-- The HA tests' restaurant, created on a primary before its standby is made: one zone, 20
-- tables of 4 seats, and 4,000 bookings of 2 hours. Booking n (1-based) is for table
-- ((n - 1) % 20) + 1 in slot (n - 1) / 20, so the bookings of one client never collide with
-- another's, and a collision the tests want they make on purpose. Ids are readable:
--   restaurant 00000001-…-000000000001, zone 0000000a-…-000000000001,
--   table n    0000000b-…-{n, 12 digits}, booking n 0000000c-…-{n, 12 digits}.
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
CREATE EXTENSION IF NOT EXISTS pg_cron;

INSERT INTO zones (id, restaurant_id, name)
VALUES ('0000000a-0000-4000-8000-000000000001', '00000001-0000-4000-8000-000000000001', 'main');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT ('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001',
       '0000000a-0000-4000-8000-000000000001', 'T' || n, 4, 'movable'
  FROM generate_series(1, 20) AS n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT ('0000000c-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001', 2,
       date_trunc('day', now()) + interval '2 days' + ((n - 1) / 20) * interval '2 hours',
       date_trunc('day', now()) + interval '2 days 2 hours' + ((n - 1) / 20) * interval '2 hours',
       'confirmed'
  FROM generate_series(1, 4000) AS n;

SELECT schedule_hold_sweeper('* * * * *') IS NOT NULL AS scheduled;
