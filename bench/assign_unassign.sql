-- One assign and one unassign through the allocator (validation, locks, mirror, ledger).
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 200)
BEGIN;
SELECT count(*) FROM assign_tables_atomic_v2(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid], p_idempotency_key => 'bench');
SELECT count(*) FROM unassign_tables_atomic(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid);
COMMIT;
