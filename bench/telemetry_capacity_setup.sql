-- Conflicts on demand, for bench/telemetry_capacity.sh: table n is taken by booking n, and
-- booking 100 + n (same evening) asks for it, so every call is refused with 23P01. Each
-- pgbench client takes its own table (no lock waits between clients: the refusals
-- themselves are measured). Ids as in bench/setup.sql.
CREATE EXTENSION IF NOT EXISTS allocator CASCADE;
INSERT INTO zones (id, restaurant_id, name)
VALUES ('0000000a-0000-4000-8000-000000000001', '00000001-0000-4000-8000-000000000001', 'main');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
SELECT ('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001',
       '0000000a-0000-4000-8000-000000000001', 'T' || n, 4, 'movable'
  FROM generate_series(1, 64) AS n;
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT ('0000000c-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '00000001-0000-4000-8000-000000000001', 2,
       timestamptz '2031-01-01 19:00+00', timestamptz '2031-01-01 21:00+00', 'confirmed'
  FROM generate_series(1, 164) AS n;
SELECT count(*) FROM generate_series(1, 64) AS n,
    LATERAL assign_tables_atomic_v2(('0000000c-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
                                    ARRAY[('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid]);

-- p_count refused assignments of booking 100 + p_table to table p_table; returns how many
-- were refused with 23P01 (each one is a conflict the telemetry must record).
CREATE FUNCTION bench_conflicts(p_table int, p_count int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    refused int := 0;
    booking uuid := ('0000000c-0000-4000-8000-' || lpad((100 + p_table)::text, 12, '0'))::uuid;
    tables uuid[] := ARRAY[('0000000b-0000-4000-8000-' || lpad(p_table::text, 12, '0'))::uuid];
BEGIN
    FOR i IN 1..p_count LOOP
        BEGIN
            PERFORM assign_tables_atomic_v2(booking, tables);
        EXCEPTION WHEN exclusion_violation THEN
            refused := refused + 1;
        END;
    END LOOP;
    RETURN refused;
END
$$;
ANALYZE;
