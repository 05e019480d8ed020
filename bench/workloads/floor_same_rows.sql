-- "Same rows" floor. One transaction: the next booking n of its range, then one plain-SQL
-- statement writing what a single-table assign leaves behind: the assignment (with its
-- restaurant and idempotency key), its allocations mirror row, the idempotency ledger row
-- and the booking's zone pin. No validation, no locks, no reads beyond the booking and table.
SELECT nextval('bench.same_rows_seq') AS n \gset
\set table 1 + :n % 1000
WITH target AS (
    SELECT b.id, b.restaurant_id, b.start_at, b.end_at, t.id AS table_id, t.zone_id
      FROM bookings b, table_inventory t WHERE b.id = bench.booking_id(:n) AND t.id = bench.table_id(:table)),
assignment AS (
    INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at, idempotency_key, restaurant_id)
    SELECT id, table_id, start_at, end_at, 'bench', restaurant_id FROM target
    RETURNING id, booking_id, table_id, start_at, end_at, restaurant_id),
mirror AS (
    INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", assignment_id)
    SELECT booking_id, restaurant_id, 'table', table_id, tstzrange(start_at, end_at, '[)'), id FROM assignment),
ledger AS (
    INSERT INTO booking_assignment_idempotency (booking_id, idempotency_key, table_ids, start_at, end_at)
    SELECT booking_id, 'bench', ARRAY[table_id], start_at, end_at FROM assignment)
UPDATE bookings SET assigned_zone_id = (SELECT zone_id FROM target) WHERE id = bench.booking_id(:n);
