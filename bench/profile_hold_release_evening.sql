-- hold_release.sql on one shared evening (bench/profile_setup.sql's bookings 100001-100400,
-- all 19:00-21:00 on 2030-06-01): booking 100000 + k holds table k, so holds never
-- conflict, but every hold's occupants read looks at an evening full of other holds (the
-- other client's live ones, and every released one until vacuum removes it).
\set k (:client_id * 200) + random(1, 200)
SELECT release_table_hold(id) FROM create_table_hold(('0000000c-0000-4000-8000-' || lpad((100000 + :k)::text, 12, '0'))::uuid,
       ARRAY[('0000000b-0000-4000-8000-' || lpad(:k::text, 12, '0'))::uuid]);
