-- Unassign. One transaction: the next booking n of the assign range (bench.unassign_seq
-- walks it in the order the assign rounds assigned it) loses its table. bench/run.sh runs
-- exactly as many as were assigned, so none is a no-op.
SELECT nextval('bench.unassign_seq') AS n \gset
SELECT count(*) FROM unassign_tables_atomic(bench.booking_id(:n));
