-- A hold created and confirmed (the hold becomes an assignment), then an unassign so the
-- same booking and table can be drawn again. One transaction, one commit, as
-- bench/assign_unassign.sql and the floor: the ratio compares work, not fsyncs.
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 200)
BEGIN;
SELECT id AS hold_id FROM create_table_hold(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid]) \gset
SELECT count(*) FROM confirm_table_hold(':hold_id'::uuid,
       ('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid, p_idempotency_key => 'bench');
SELECT count(*) FROM unassign_tables_atomic(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid);
COMMIT;
