-- Hold + release. One transaction: the next booking n of its range holds its own table
-- (n % 1000 + 1) and releases the hold, in one statement.
SELECT nextval('bench.hold_release_seq') AS n \gset
\set table 1 + :n % 1000
SELECT release_table_hold(id) FROM create_table_hold(bench.booking_id(:n), ARRAY[bench.table_id(:table)]);
