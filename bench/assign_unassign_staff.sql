-- assign_unassign.sql as a staff member: PostgREST's role and JWT claims set in the
-- transaction, so every call also checks the user is staff of the booking's restaurant.
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 200)
BEGIN;
SELECT set_config('role', 'bench_staff', true),
       set_config('request.jwt.claims', '{"sub": "0000000e-0000-4000-8000-000000000001", "role": "authenticated"}', true);
SELECT count(*) FROM assign_tables_atomic_v2(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid], p_idempotency_key => 'bench');
SELECT count(*) FROM unassign_tables_atomic(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid);
COMMIT;
