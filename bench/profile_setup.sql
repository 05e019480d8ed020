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

-- A short name for a pg_stat_statements query text: for the extension's SPI statements the
-- name their text starts with (/* allocator: NAME */, src/pg/data/*.cpp), "RI check/cascade
-- -> table" for the foreign-key work PostgreSQL does after each write, "call: ..." for the
-- calls pgbench (or the sweep loop) made. Any other text is shown as itself.
CREATE FUNCTION bench_statement_label(query text, caller boolean) RETURNS text
LANGUAGE sql IMMUTABLE RETURN CASE
    WHEN caller THEN 'call: ' || left(regexp_replace(query, '\s+', ' ', 'g'), 58)
    WHEN query ~ '^SELECT \$\d+ FROM ONLY ' THEN
        'RI check -> ' || substring(query FROM 'FROM ONLY "[^"]*"\."([^"]*)"')
    WHEN query ~ '^DELETE FROM ONLY ' THEN
        'RI cascade -> ' || substring(query FROM 'FROM ONLY "[^"]*"\."([^"]*)"')
    -- the extension's statements name themselves (src/pg/data/*.cpp, Statement)
    WHEN query ~ '^/\* allocator: ' THEN substring(query FROM '^/\* allocator: (.*?) \*/')
    ELSE left(regexp_replace(query, '\s+', ' ', 'g'), 64)
END;
