-- Merge. One transaction: the next booking n of its range onto the adjacent pair of tables
-- 2(n % 500) + 1 and + 2 (an edge in bench/run_setup.sql), adjacency required.
SELECT nextval('bench.merge_seq') AS n \gset
\set table 1 + 2 * (:n % 500)
SELECT count(*) FROM assign_tables_atomic_v2(bench.booking_id(:n), ARRAY[bench.table_id(:table), bench.table_id(:table + 1)],
       p_idempotency_key => 'bench', p_require_adjacency => true);
