-- Single assign. One transaction: the next booking n of its range onto its own table
-- (n % 1000 + 1), with an idempotency key.
SELECT nextval('bench.assign_seq') AS n \gset
\set table 1 + :n % 1000
SELECT count(*) FROM assign_tables_atomic_v2(bench.booking_id(:n), ARRAY[bench.table_id(:table)],
       p_idempotency_key => 'bench');
