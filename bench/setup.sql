-- A large restaurant for benchmarks: 400 movable tables in one zone, 8,000 bookings on
-- distinct days (so any booking fits any table: the benchmarks measure the allocator's
-- own cost, not conflicts). Table n is 0000000b-…-n, booking n is 0000000c-…-n.
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
INSERT INTO zones (id, restaurant_id, name)
VALUES ('0000000a-0000-4000-8000-000000000001', '00000001-0000-4000-8000-000000000001', 'main');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT ('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001',
       '0000000a-0000-4000-8000-000000000001', 'T' || n, 4, 'movable'
  FROM generate_series(1, 400) AS n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT ('0000000c-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001', 2,
       timestamptz '2031-01-01 19:00+00' + n * interval '1 day',
       timestamptz '2031-01-01 21:00+00' + n * interval '1 day', 'confirmed'
  FROM generate_series(1, 8000) AS n;
ANALYZE;
-- A staff member of the restaurant, as Supabase's authenticated role with a signed-in user
-- (assign_unassign_staff.sql): what the tenancy check costs.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_staff') THEN CREATE ROLE bench_staff NOLOGIN; END IF;
END $$;
SELECT count(*) FROM allocator_grant_access('bench_staff', 'staff');
INSERT INTO allocator_staff (user_id, restaurant_id)
VALUES ('0000000e-0000-4000-8000-000000000001', '00000001-0000-4000-8000-000000000001') ON CONFLICT DO NOTHING;
