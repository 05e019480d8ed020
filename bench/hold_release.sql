-- One hold created and released through the allocator.
\set booking (:client_id * 4000) + random(1, 4000)
\set table (:client_id * 200) + random(1, 200)
SELECT release_table_hold(id) FROM create_table_hold(('0000000c-0000-4000-8000-' || lpad(:booking::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:table::text, 12, '0'))::uuid]);
