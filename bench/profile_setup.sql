-- bench/profile.sh, after bench/setup.sql: what the profile needs beyond the plain bench data.
-- Runs in a throwaway cluster; nothing here is part of the extension.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

-- An adjacency chain through the zone (table n next to table n + 1), so a merge of two
-- neighbouring tables passes require_adjacency (bench/profile_merge.sql). The other
-- workloads never read edges: only a merge with adjacency required does (LoadEdges).
INSERT INTO table_adjacencies (table_a, table_b)
SELECT ('0000000b-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
       ('0000000b-0000-4000-8000-' || lpad((n + 1)::text, 12, '0'))::uuid
  FROM generate_series(1, 399) AS n;
ANALYZE table_adjacencies;

-- The same evening for everyone (bench/profile_hold_release_evening.sql): 400 bookings,
-- 0000000c-…-100001 to -100400, all from 19:00 to 21:00 on 2030-06-01, a day no booking
-- of setup.sql touches. bench/setup.sql's bookings are on distinct days, so there no two
-- holds ever share a window; a real restaurant's evening is the opposite, and a plan that
-- finds a table's occupants by window alone reads every hold of the evening.
INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
SELECT ('0000000c-0000-4000-8000-' || lpad((100000 + n)::text, 12, '0'))::uuid,
       '00000001-0000-4000-8000-000000000001', 2,
       timestamptz '2030-06-01 19:00+00', timestamptz '2030-06-01 21:00+00', 'confirmed'
  FROM generate_series(1, 400) AS n;
ANALYZE bookings;

-- A short name for a pg_stat_statements query text: the statement's name in
-- src/pg/statements.cpp for the extension's SPI statements, "RI check/cascade -> table"
-- for the foreign-key work PostgreSQL does after each write, "call: ..." for the calls
-- pgbench (or the sweep loop) made. pg_stat_statements shows constants as $n, also those
-- written in the extension's texts (null, 'movable', true), so the fragments matched are
-- ones without constants. A text that matches nothing (a statement changed since 0.2.0)
-- is shown as itself rather than hidden.
CREATE FUNCTION bench_statement_label(query text, caller boolean) RETURNS text
LANGUAGE sql IMMUTABLE RETURN CASE
    WHEN caller THEN 'call: ' || left(regexp_replace(query, '\s+', ' ', 'g'), 58)
    WHEN query ~ '^SELECT \$\d+ FROM ONLY ' THEN
        'RI check -> ' || substring(query FROM 'FROM ONLY "[^"]*"\."([^"]*)"')
    WHEN query ~ '^DELETE FROM ONLY ' THEN
        'RI cascade -> ' || substring(query FROM 'FROM ONLY "[^"]*"\."([^"]*)"')
    WHEN query LIKE 'select name, enabled from %allocator_flags%' THEN 'LoadFlags'
    WHEN query LIKE 'select id, restaurant_id, party_size, %' THEN 'LoadBooking'
    WHEN query LIKE 'select table_ids, start_at, end_at, hold_id from %' THEN 'LoadLedger'
    WHEN query LIKE 'select table_id, start_at, end_at, merge_group_id from %any ($2)%' THEN 'LoadAssignmentResult'
    WHEN query LIKE 'select table_id, start_at, end_at, merge_group_id from %' THEN 'LoadBookingAssignments'
    WHEN query LIKE '%from public.table_inventory where id %' THEN 'LoadTables'
    WHEN query LIKE 'select table_a, table_b from %' THEN 'LoadEdges'
    WHEN query LIKE '% as is_hold, a.table_id, %' THEN 'LoadOccupants'
    WHEN query LIKE 'with inserted as%' THEN 'InsertAssignments'
    WHEN query LIKE '%and merge_group_id is null' THEN 'AdoptMergeGroup'
    WHEN query LIKE 'insert into %booking_assignment_idempotency%' THEN 'InsertLedger'
    WHEN query LIKE '%(assigned_zone_id is null or %' THEN 'PinZone'
    WHEN query LIKE 'with mirror as%' THEN 'DeleteAssignments'
    WHEN query LIKE '%booking_table_assignments a set merge_group_id%' THEN 'DissolveSingleTableMergeGroups'
    WHEN query LIKE 'delete from %allocations g %' THEN 'DeleteOrphanMergeGroups'
    WHEN query LIKE '%assigned_zone_id is not null and not exists%' THEN 'ClearZonePinIfUnassigned'
    WHEN query LIKE 'with doomed as (select id from %any ($1)%' THEN 'DeleteHolds (expired, in the way)'
    WHEN query LIKE 'with hold as%' THEN 'InsertHold'
    WHEN query LIKE 'with doomed as (select $1::uuid as id)%' THEN 'DeleteHold'
    WHEN query LIKE 'with doomed as (%for update skip locked%' THEN 'SweepExpiredHolds'
    WHEN query LIKE '%from public.table_holds where id %for update' THEN 'LoadHoldForUpdate'
    WHEN query LIKE '%from public.table_holds where id %' THEN 'LoadHold'
    WHEN query LIKE '%allocator_staff%' THEN 'LoadCallerAccess'
    WHEN query LIKE '%allocator_role_access%' THEN 'LoadServiceAccess'
    ELSE left(regexp_replace(query, '\s+', ' ', 'g'), 64)
END;
