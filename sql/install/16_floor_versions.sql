------------------------------------------------------------------------------------------
-- Floor versions (auto-assignment's floor cache, docs/schema.md#floor_versions): a version
-- per restaurant, renewed by triggers (20_reference_triggers.sql) in the same transaction
-- as every change to the restaurant's tables or adjacency. A backend keeps the floor it read
-- for a restaurant with the version it read beside it, on the same snapshot, and uses it
-- again while a read of the version finds the same committed row: MVCC gives that row and the
-- floor together, so a kept floor is exactly the floor the caller's snapshot sees.
--
-- New in 0.2.0: the 0.1.0 -> 0.2.0 update includes this file as it is, so every statement
-- here also works on a database filled by 0.1.0.
------------------------------------------------------------------------------------------

-- Versions come from a sequence, so a number is never given twice, not even after a rollback
-- or a row deleted by hand: a kept floor can only ever match the one change it was read after.
CREATE SEQUENCE @extschema@.floor_version_seq;
CREATE TABLE @extschema@.floor_versions (
    restaurant_id uuid PRIMARY KEY,
    version       bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.floor_version_seq'::pg_catalog.regclass)
);
COMMENT ON TABLE @extschema@.floor_versions IS
    'Internal: a number each change to a restaurant''s tables or adjacency renews (the triggers write it). '
    'Auto-assignment reuses a floor it read while this row is unchanged. Written only by the triggers.';

-- Every restaurant that has tables starts with a row; one without a row is read afresh by
-- every call (a floor is kept only with a committed version).
INSERT INTO @extschema@.floor_versions (restaurant_id)
SELECT DISTINCT t.restaurant_id FROM @extschema@.table_inventory t;
