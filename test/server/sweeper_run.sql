-- A real pg_cron run of the hold sweeper: schedules it every minute, leaves three expired
-- holds and one live hold, and lets 10_sweeper.test.js wait for pg_cron to do the work. Its
-- zone, tables 1-4 and bookings 1-4 are also the rows the later telemetry tests book.
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
CREATE EXTENSION IF NOT EXISTS pg_cron;

INSERT INTO zones (id, restaurant_id, name)
VALUES ('0000000a-0000-4000-8000-000000000001', '00000001-0000-4000-8000-000000000001', 'main');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT ('0000000b-0000-4000-8000-00000000000' || n)::uuid, '00000001-0000-4000-8000-000000000001',
       '0000000a-0000-4000-8000-000000000001', 'T' || n, 4, 'movable'
  FROM generate_series(1, 4) AS n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT ('0000000c-0000-4000-8000-00000000000' || n)::uuid, '00000001-0000-4000-8000-000000000001', 2,
       now() + interval '1 day', now() + interval '1 day 2 hours', 'confirmed'
  FROM generate_series(1, 4) AS n;

SELECT schedule_hold_sweeper('* * * * *') IS NOT NULL AS scheduled;

-- Holds 1-3 expire: created with the shortest TTL, then moved into the past (as time would).
SELECT count(*) AS holds_created FROM generate_series(1, 4) AS n,
    LATERAL create_table_hold(('0000000c-0000-4000-8000-00000000000' || n)::uuid,
                              ARRAY[('0000000b-0000-4000-8000-00000000000' || n)::uuid],
                              CASE WHEN n = 4 THEN interval '1 hour' ELSE interval '10 seconds' END);
UPDATE table_holds SET expires_at = now() - interval '1 minute' WHERE booking_id <> '0000000c-0000-4000-8000-000000000004';
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();
