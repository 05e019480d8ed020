-- Floor for manual_context: read the same random booking by primary key, nothing else.
\set n random(1, 10000)
SELECT * FROM bookings WHERE id = ('0000000c-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid;
