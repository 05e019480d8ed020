-- "Merge rows" floor. One transaction: the next booking n of its range, then one plain-SQL
-- statement writing what a two-table merge leaves behind (bench/workloads/merge.sql): two
-- assignments of one new merge group, with their restaurant and idempotency key, their two
-- mirror rows and the group's, the ledger row and the booking's zone pin. No validation, no
-- locks, no reads beyond the booking and the first table. Tables 2(n % 500) + 1 and + 2, as
-- the merge range's.
SELECT nextval('bench.merge_rows_seq') AS n \gset
\set table 1 + 2 * (:n % 500)
WITH target AS (
    SELECT b.id, b.restaurant_id, b.start_at, b.end_at, t.zone_id, gen_random_uuid() AS merge_group_id
      FROM bookings b, table_inventory t WHERE b.id = bench.booking_id(:n) AND t.id = bench.table_id(:table)),
assignment AS (
    INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at, merge_group_id, idempotency_key,
                                           restaurant_id)
    SELECT g.id, x.table_id, g.start_at, g.end_at, g.merge_group_id, 'bench', g.restaurant_id
      FROM target g, (VALUES (bench.table_id(:table)), (bench.table_id(:table + 1))) AS x (table_id)
    RETURNING id, booking_id, table_id, start_at, end_at, restaurant_id),
mirror AS (
    INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id)
    SELECT booking_id, restaurant_id, 'table', table_id, tstzrange(start_at, end_at, '[)'), id FROM assignment
    UNION ALL
    SELECT id, restaurant_id, 'merge_group', merge_group_id, tstzrange(start_at, end_at, '[)'), NULL FROM target),
ledger AS (
    INSERT INTO booking_assignment_idempotency (booking_id, idempotency_key, table_ids, start_at, end_at, merge_group_id)
    SELECT id, 'bench', ARRAY[bench.table_id(:table), bench.table_id(:table + 1)], start_at, end_at, merge_group_id
      FROM target)
UPDATE bookings SET assigned_zone_id = (SELECT zone_id FROM target) WHERE id = bench.booking_id(:n);
