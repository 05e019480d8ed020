-- Bare floor. One transaction: the next number n of its range, then one INSERT of booking
-- n's row (table n % 1000 + 1, 2-hour slot n / 1000) into bench.bare_assignments, a table
-- with a primary key, a unique key and booking_table_assignments' GiST exclusion constraint.
SELECT nextval('bench.bare_seq') AS n \gset
\set table 1 + :n % 1000
\set slot :n / 1000
INSERT INTO bench.bare_assignments (booking_id, table_id, start_at, end_at)
VALUES (bench.booking_id(:n), bench.table_id(:table), bench.slot_start(:slot), bench.slot_start(:slot + 1));
