-- Data and measuring functions of bench/auto_assign.sh (schema bench, never public).
CREATE SCHEMA bench;

-- A restaurant of n tables: zones of 20 tables, capacities 2, 2, 4, 4, 6, 8 over and over,
-- every table movable but one in ten, and dense adjacency inside a zone (each table next to
-- the next four). Bookings get their own day each (no two ever conflict) unless told.
CREATE FUNCTION bench.floor(p_restaurant uuid, p_tables int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone uuid;
    ids uuid[] := '{}';
BEGIN
    FOR i IN 0 .. p_tables - 1 LOOP
        IF i % 20 = 0 THEN
            zone := md5(random()::text)::uuid;  -- after setseed(), the same ids every run
            INSERT INTO zones (id, restaurant_id, name) VALUES (zone, p_restaurant, 'zone ' || i / 20);
        END IF;
        ids := ids || md5(random()::text)::uuid;
        INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
        VALUES (ids[i + 1], p_restaurant, zone, lpad(i::text, 3, '0'), (ARRAY[2, 2, 4, 4, 6, 8])[i % 6 + 1],
                CASE WHEN i % 10 = 9 THEN 'fixed' ELSE 'movable' END);
        FOR k IN 1 .. 4 LOOP
            IF i - k >= 0 AND (i - k) / 20 = i / 20 THEN
                INSERT INTO table_adjacencies (table_a, table_b) VALUES (ids[i + 1 - k], ids[i + 1]);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- The floors the timed functions below run on, one per configuration, each written by a
-- statement of its own before them: a restaurant's floor is committed long before its
-- bookings are seated, and auto-assignment keeps only a committed floor (docs/schema.md,
-- floor_versions), so a floor written in the timing's own transaction would be read afresh
-- by every call.
CREATE TABLE bench.floors (tables int, party int, restaurant uuid NOT NULL DEFAULT gen_random_uuid(),
                           PRIMARY KEY (tables, party));
CREATE FUNCTION bench.floor_for(p_tables int, p_party int) RETURNS uuid LANGUAGE sql AS $$
    SELECT f.restaurant FROM bench.floors f WHERE f.tables = p_tables AND f.party = p_party
$$;

CREATE FUNCTION bench.percentile(p_ms float8[], p_q float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT percentile_cont(p_q) WITHIN GROUP (ORDER BY x) FROM unnest(p_ms) AS x
$$;

-- quote_tables latency for a party of p_party, p_max_tables per plan: p50 / p99 over p_calls
-- calls, in ms, each call timed alone (clock_timestamp around it), on the floor of
-- bench.floors for (p_tables, p_party).
CREATE FUNCTION bench.quote_latency(p_tables int, p_party int, p_max_tables int, p_calls int,
                                    OUT tables int, OUT party int, OUT max_tables int, OUT plans int,
                                    OUT p50_ms float8, OUT p99_ms float8)
LANGUAGE plpgsql AS $$
DECLARE
    r uuid := bench.floor_for(p_tables, p_party);
    b uuid := gen_random_uuid();
    t0 timestamptz;
    ms float8[] := '{}';
BEGIN
    INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
    VALUES (b, r, p_party, '2030-06-01 19:00+00', '2030-06-01 21:00+00', 'confirmed');
    FOR i IN 1 .. p_calls LOOP
        t0 := clock_timestamp();
        SELECT count(*) INTO plans FROM quote_tables(b, p_max_tables => p_max_tables);
        ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
    END LOOP;
    tables := p_tables; party := p_party; max_tables := p_max_tables;
    p50_ms := bench.percentile(ms, 0.5);
    p99_ms := bench.percentile(ms, 0.99);
END
$$;

-- The backend's CPU time so far (user + system, /proc/<pid>/stat), in ms: clock ticks of
-- 1/p_hz s, so time at least a few hundred ms of calls between two readings.
CREATE FUNCTION bench.cpu_ms(p_hz int) RETURNS float8 LANGUAGE sql AS $$
    SELECT (f[12]::float8 + f[13]::float8) * 1000 / p_hz
      FROM (SELECT string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' ')) s(f)
$$;

-- auto_assign_booking against assign_tables_atomic_v2 of the same plan: p_calls bookings of
-- p_party on the p_tables floor of bench.floors, each on a day of its own. First every booking is auto-assigned
-- (timed), then all are unassigned (not timed), then each is assigned by hand the very tables
-- auto-assign chose (timed): wall-clock totals in ms, and backend CPU per call in us.
CREATE FUNCTION bench.auto_vs_manual(p_tables int, p_party int, p_calls int, p_hz int,
                                     OUT calls int, OUT auto_ms float8, OUT manual_ms float8, OUT ratio float8,
                                     OUT auto_cpu_us float8, OUT manual_cpu_us float8, OUT cpu_ratio float8)
LANGUAGE plpgsql AS $$
DECLARE
    r uuid := bench.floor_for(p_tables, p_party);
    ids uuid[];
    chosen text[] := '{}';
    t0 timestamptz;
    c0 float8;
    tables uuid[];
BEGIN
    calls := p_calls;
    SELECT array_agg(gen_random_uuid()) INTO ids FROM generate_series(1, p_calls);
    INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
    SELECT ids[i], r, p_party, '2030-01-01 19:00+00'::timestamptz + i * interval '1 day',
           '2030-01-01 21:00+00'::timestamptz + i * interval '1 day', 'confirmed'
      FROM generate_series(1, p_calls) i;
    c0 := bench.cpu_ms(p_hz); t0 := clock_timestamp();
    -- Both loops call the same way (PERFORM) and do nothing else: the plans auto-assign chose
    -- are read back after its loop, not collected inside it.
    FOR i IN 1 .. p_calls LOOP
        PERFORM auto_assign_booking(ids[i]);
    END LOOP;
    auto_ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    auto_cpu_us := (bench.cpu_ms(p_hz) - c0) * 1000 / p_calls;
    FOR i IN 1 .. p_calls LOOP
        SELECT array_agg(a.table_id) INTO tables FROM booking_table_assignments a WHERE a.booking_id = ids[i];
        chosen := chosen || tables::text;
        PERFORM unassign_tables_atomic(ids[i]);
    END LOOP;
    c0 := bench.cpu_ms(p_hz); t0 := clock_timestamp();
    FOR i IN 1 .. p_calls LOOP
        PERFORM assign_tables_atomic_v2(ids[i], chosen[i]::uuid[]);
    END LOOP;
    manual_ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    manual_cpu_us := (bench.cpu_ms(p_hz) - c0) * 1000 / p_calls;
    ratio := manual_ms / auto_ms;  -- auto-assign's throughput as a fraction of the manual assign's
    cpu_ratio := manual_cpu_us / auto_cpu_us;
END
$$;

-- Plan quality: an evening of p_bookings bookings (party 1-10, start 17:00-22:30 on the half
-- hour, 2 hours each, in random arrival order) on a 40-table floor, seated by auto_assign_booking
-- and, on the same bookings, by a naive first fit: the first table by number that is free and
-- big enough, else the first free pair of movable tables of one zone that seats the party.
-- auto_assign_booking runs twice: with its default of 3 tables per plan and with 2, as first fit.
CREATE FUNCTION bench.quality(p_seed float8, p_bookings int,
                              OUT seed float8, OUT strategy text, OUT seated int, OUT refused int,
                              OUT empty_seats int)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
    r uuid := gen_random_uuid();
    bk record;
    chosen uuid[];
    strat text;
BEGIN
    PERFORM setseed(p_seed);
    PERFORM bench.floor(r, 40);
    DROP TABLE IF EXISTS arrivals;
    CREATE TEMP TABLE arrivals AS
    SELECT md5(random()::text)::uuid AS id, 1 + floor(random() * 10)::int AS party,
           '2030-06-01 17:00+00'::timestamptz + floor(random() * 12) * interval '30 minutes' AS start_at,
           random() AS arrival
      FROM generate_series(1, p_bookings);
    INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
    SELECT a.id, r, a.party, a.start_at, a.start_at + interval '2 hours', 'confirmed' FROM arrivals a;
    FOREACH strat IN ARRAY ARRAY['auto_assign_booking', 'auto_assign_booking k=2', 'first_fit'] LOOP
        FOR bk IN SELECT * FROM arrivals ORDER BY arrival LOOP
            BEGIN
                IF strat = 'auto_assign_booking' THEN
                    PERFORM auto_assign_booking(bk.id);
                ELSIF strat = 'auto_assign_booking k=2' THEN  -- merges of two at most, as first fit
                    PERFORM auto_assign_booking(bk.id, p_max_tables => 2);
                ELSE
                    SELECT ARRAY[c.id] INTO chosen FROM table_inventory c
                     WHERE c.restaurant_id = r AND c.capacity >= bk.party AND NOT EXISTS (
                           SELECT FROM booking_table_assignments a WHERE a.table_id = c.id
                              AND a.start_at < bk.start_at + interval '2 hours' AND bk.start_at < a.end_at)
                     ORDER BY c.table_number LIMIT 1;
                    IF chosen IS NULL THEN
                        SELECT ARRAY[c.id, d.id] INTO chosen
                          FROM table_inventory c JOIN table_inventory d
                            ON d.zone_id = c.zone_id AND d.table_number > c.table_number
                         WHERE c.restaurant_id = r AND c.mobility = 'movable' AND d.mobility = 'movable'
                           AND c.capacity + d.capacity >= bk.party
                           AND NOT EXISTS (SELECT FROM booking_table_assignments a WHERE a.table_id IN (c.id, d.id)
                                  AND a.start_at < bk.start_at + interval '2 hours' AND bk.start_at < a.end_at)
                         ORDER BY c.table_number, d.table_number LIMIT 1;
                    END IF;
                    IF chosen IS NOT NULL THEN
                        PERFORM assign_tables_atomic_v2(bk.id, chosen);
                    END IF;
                END IF;
            EXCEPTION WHEN exclusion_violation OR check_violation THEN
                NULL;  -- not seated
            END;
        END LOOP;
        seed := p_seed; strategy := strat;
        SELECT count(DISTINCT a.booking_id), coalesce(sum(ti.capacity), 0) - coalesce(
                   (SELECT sum(b.party_size) FROM bookings b WHERE b.restaurant_id = r
                       AND EXISTS (SELECT FROM booking_table_assignments x WHERE x.booking_id = b.id)), 0)
          INTO seated, empty_seats
          FROM booking_table_assignments a JOIN table_inventory ti ON ti.id = a.table_id
         WHERE ti.restaurant_id = r;
        refused := p_bookings - seated;
        RETURN NEXT;
        DELETE FROM allocations WHERE restaurant_id = r;
        DELETE FROM booking_assignment_idempotency x USING bookings b WHERE b.id = x.booking_id AND b.restaurant_id = r;
        DELETE FROM booking_table_assignments WHERE restaurant_id = r;
        UPDATE bookings SET assigned_zone_id = NULL WHERE restaurant_id = r;
    END LOOP;
END
$$;
