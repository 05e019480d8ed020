-- A merge of two neighbouring tables with adjacency required, then an unassign. The pair
-- (t, t + 1) is an edge of bench/profile_setup.sql's chain; each client keeps to its own
-- bookings and tables (as bench/assign_unassign.sql), so clients never collide.
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 199)
\set neighbour :table + 1
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid,
             ('0000000b-0000-4000-8000-' || lpad(:neighbour::text, 12, '0'))::uuid],
       p_idempotency_key => 'bench', p_require_adjacency => true);
SELECT count(*) FROM unassign_tables_atomic(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid);
COMMIT;
