------------------------------------------------------------------------------------------
-- Access (the functions are in 60_access.sql; docs/supabase.md is the contract): which
-- users are staff of which restaurant, which roles have which access, and the restaurant
-- of every assignment, so row level security can show staff their own restaurants' rows.
--
-- New in 0.2.0: the 0.1.0 -> 0.2.0 update includes this file as it is, so every statement
-- here also works on a database filled by 0.1.0.
------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.allocator_staff (
    user_id       uuid NOT NULL,
    restaurant_id uuid NOT NULL,
    added_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (user_id, restaurant_id)
);
COMMENT ON TABLE @extschema@.allocator_staff IS
    'Which signed-in users (the JWT sub, auth.uid()) are staff of which restaurant. Written by the '
    'application, usually by a trigger on its own membership table (docs/supabase.md); a staff-scoped '
    'caller acts only on these restaurants.';

CREATE TABLE @extschema@.allocator_role_access (
    role_name  text PRIMARY KEY,
    access     text NOT NULL CHECK (access IN ('staff', 'service', 'operator')),
    granted_by text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_role_access IS
    'The access each role was given by allocator_grant_access (staff, service or operator). Written only '
    'by allocator_grant_access / allocator_revoke_access; ALTER EXTENSION UPDATE grants every role here '
    'what its access includes in the new version.';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_staff', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_role_access', '');

-- The restaurant of each assignment (its booking's), written by the allocator with the row,
-- so row level security and Supabase realtime filter assignments without reading bookings.
-- Added with ALTER TABLE in a fresh install too, so the column is last in both.
ALTER TABLE @extschema@.booking_table_assignments ADD COLUMN restaurant_id uuid;
UPDATE @extschema@.booking_table_assignments a SET restaurant_id = b.restaurant_id
  FROM @extschema@.bookings b WHERE b.id OPERATOR(pg_catalog.=) a.booking_id;
ALTER TABLE @extschema@.booking_table_assignments ALTER COLUMN restaurant_id SET NOT NULL;
CREATE INDEX booking_table_assignments_restaurant_idx
    ON @extschema@.booking_table_assignments (restaurant_id, start_at);
COMMENT ON COLUMN @extschema@.booking_table_assignments.restaurant_id IS
    'The booking''s restaurant, stored with the row so staff read their own restaurants'' rows.';
