-- "Trattoria Demo": two zones, ten tables, a handful of bookings for tonight.
-- Ids are readable on purpose: tables 0000000b-…-0NN, bookings 0000000c-…-0NN.
\set restaurant '''00000001-0000-4000-8000-000000000001'''
\set main_room '''0000000a-0000-4000-8000-000000000001'''
\set terrace '''0000000a-0000-4000-8000-000000000002'''

INSERT INTO zones (id, restaurant_id, name) VALUES
    (:main_room, :restaurant, 'Main room'),
    (:terrace, :restaurant, 'Terrace');

INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility) VALUES
    ('0000000b-0000-4000-8000-000000000001', :restaurant, :main_room, 'M1', 2, 'movable'),
    ('0000000b-0000-4000-8000-000000000002', :restaurant, :main_room, 'M2', 2, 'movable'),
    ('0000000b-0000-4000-8000-000000000003', :restaurant, :main_room, 'M3', 4, 'movable'),
    ('0000000b-0000-4000-8000-000000000004', :restaurant, :main_room, 'M4', 4, 'fixed'),
    ('0000000b-0000-4000-8000-000000000005', :restaurant, :main_room, 'M5', 6, 'fixed'),
    ('0000000b-0000-4000-8000-000000000006', :restaurant, :main_room, 'M6', 8, 'fixed'),
    ('0000000b-0000-4000-8000-000000000007', :restaurant, :terrace, 'T1', 2, 'movable'),
    ('0000000b-0000-4000-8000-000000000008', :restaurant, :terrace, 'T2', 2, 'movable'),
    ('0000000b-0000-4000-8000-000000000009', :restaurant, :terrace, 'T3', 4, 'movable'),
    ('0000000b-0000-4000-8000-000000000010', :restaurant, :terrace, 'T4', 4, 'movable');

-- M1 - M2 - M3 stand in a row; so do T1 - T2 - T3 - T4.
INSERT INTO table_adjacencies (table_a, table_b) VALUES
    ('0000000b-0000-4000-8000-000000000001', '0000000b-0000-4000-8000-000000000002'),
    ('0000000b-0000-4000-8000-000000000002', '0000000b-0000-4000-8000-000000000003'),
    ('0000000b-0000-4000-8000-000000000007', '0000000b-0000-4000-8000-000000000008'),
    ('0000000b-0000-4000-8000-000000000008', '0000000b-0000-4000-8000-000000000009'),
    ('0000000b-0000-4000-8000-000000000009', '0000000b-0000-4000-8000-000000000010');

-- Tonight, 19:00-21:00 in the server's time zone.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status) VALUES
    ('0000000c-0000-4000-8000-000000000001', :restaurant, 2, current_date + time '19:00', current_date + time '21:00', 'confirmed'), -- Ada
    ('0000000c-0000-4000-8000-000000000002', :restaurant, 2, current_date + time '19:30', current_date + time '21:30', 'confirmed'), -- Grace
    ('0000000c-0000-4000-8000-000000000003', :restaurant, 6, current_date + time '20:00', current_date + time '22:00', 'pending'),   -- Linus, party of 6
    ('0000000c-0000-4000-8000-000000000004', :restaurant, 4, current_date + time '19:00', current_date + time '21:00', 'pending'),   -- Barbara
    ('0000000c-0000-4000-8000-000000000005', :restaurant, 2, current_date + time '19:00', current_date + time '21:00', 'pending');   -- Ken

-- Readable names for the walkthrough.
CREATE SCHEMA demo;
CREATE FUNCTION demo.tbl(p_number text) RETURNS uuid LANGUAGE sql STABLE
    RETURN (SELECT id FROM public.table_inventory WHERE table_number = p_number);
CREATE FUNCTION demo.guest(p_name text) RETURNS uuid LANGUAGE sql IMMUTABLE
    RETURN CASE p_name
        WHEN 'Ada' THEN '0000000c-0000-4000-8000-000000000001'::uuid
        WHEN 'Grace' THEN '0000000c-0000-4000-8000-000000000002'::uuid
        WHEN 'Linus' THEN '0000000c-0000-4000-8000-000000000003'::uuid
        WHEN 'Barbara' THEN '0000000c-0000-4000-8000-000000000004'::uuid
        WHEN 'Ken' THEN '0000000c-0000-4000-8000-000000000005'::uuid END;
CREATE VIEW demo.floor AS
    SELECT t.table_number AS "table", z.name AS zone,
           coalesce(string_agg(CASE a.booking_id
                WHEN demo.guest('Ada') THEN 'Ada' WHEN demo.guest('Grace') THEN 'Grace'
                WHEN demo.guest('Linus') THEN 'Linus' WHEN demo.guest('Barbara') THEN 'Barbara'
                WHEN demo.guest('Ken') THEN 'Ken' END || ' ' || to_char(a.start_at, 'HH24:MI') || '-' || to_char(a.end_at, 'HH24:MI'), ', '), '') AS assigned,
           coalesce((SELECT string_agg('held until ' || to_char(h.expires_at, 'HH24:MI:SS'), ', ')
                       FROM public.table_holds h WHERE t.id = ANY (h.table_ids)), '') AS hold
      FROM public.table_inventory t
      JOIN public.zones z ON z.id = t.zone_id
      LEFT JOIN public.booking_table_assignments a ON a.table_id = t.id
     GROUP BY t.id, t.table_number, z.name
     ORDER BY z.name, t.table_number;
