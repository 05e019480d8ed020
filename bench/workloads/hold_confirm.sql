-- Hold + confirm. One transaction: the next booking n of its range holds its own table
-- (n % 1000 + 1) and confirms the hold into an assignment, with an idempotency key.
SELECT nextval('bench.hold_confirm_seq') AS n \gset
\set table 1 + :n % 1000
BEGIN;
SELECT id AS hold_id FROM create_table_hold(bench.booking_id(:n), ARRAY[bench.table_id(:table)]) \gset
SELECT count(*) FROM confirm_table_hold(':hold_id'::uuid, bench.booking_id(:n), 'bench');
COMMIT;
