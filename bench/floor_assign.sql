-- Floor: the same rows written by plain SQL with no allocator (no validation, no locks,
-- no mirror, no ledger): what one assign + unassign costs at the very least.
-- Each client keeps to its own bookings and tables so clients never collide.
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 200)
BEGIN;
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at, restaurant_id)
SELECT id, ('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid, start_at, end_at, restaurant_id
  FROM bookings WHERE id = ('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid;
DELETE FROM booking_table_assignments WHERE booking_id = ('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid;
COMMIT;
