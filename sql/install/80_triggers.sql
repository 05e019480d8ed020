
------------------------------------------------------------------------------------------
-- Triggers (their functions are in 20_reference_triggers.sql)
------------------------------------------------------------------------------------------

CREATE TRIGGER table_adjacencies_same_zone
    BEFORE INSERT OR UPDATE ON @extschema@.table_adjacencies
    FOR EACH ROW EXECUTE FUNCTION @extschema@.table_adjacencies_same_zone();

CREATE TRIGGER table_inventory_zone_keeps_adjacency
    AFTER UPDATE OF zone_id ON @extschema@.table_inventory
    FOR EACH ROW WHEN (OLD.zone_id OPERATOR(pg_catalog.<>) NEW.zone_id)
    EXECUTE FUNCTION @extschema@.table_inventory_zone_keeps_adjacency();

CREATE TRIGGER allocator_flags_replace_seeded
    BEFORE INSERT ON @extschema@.allocator_flags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.replace_seeded_row('name');

-- As for allocator_flags: a restored row replaces the seeded default.
CREATE TRIGGER allocator_alert_thresholds_replace_seeded
    BEFORE INSERT ON @extschema@.allocator_alert_thresholds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.replace_seeded_row('alert');

CREATE TRIGGER booking_table_assignments_fill_restaurant
    BEFORE INSERT ON @extschema@.booking_table_assignments
    FOR EACH ROW WHEN (NEW.restaurant_id IS NULL)
    EXECUTE FUNCTION @extschema@.booking_table_assignments_fill_restaurant();

CREATE TRIGGER bookings_keep_restaurant_while_seated
    BEFORE UPDATE OF restaurant_id ON @extschema@.bookings
    FOR EACH ROW WHEN (OLD.restaurant_id OPERATOR(pg_catalog.<>) NEW.restaurant_id)
    EXECUTE FUNCTION @extschema@.refuse_restaurant_change_while_seated();

CREATE TRIGGER table_inventory_keeps_restaurant_while_seated
    BEFORE UPDATE OF restaurant_id ON @extschema@.table_inventory
    FOR EACH ROW WHEN (OLD.restaurant_id OPERATOR(pg_catalog.<>) NEW.restaurant_id)
    EXECUTE FUNCTION @extschema@.refuse_restaurant_change_while_seated();

-- floor_versions (16_floor_versions.sql): once per statement that changes the floor, one
-- trigger per event as transition tables ask. ENABLE ALWAYS: they fire under
-- session_replication_role = replica too (restores and sessions that set it), or a kept
-- floor would outlive the rows it was read from.
CREATE TRIGGER table_inventory_floor_version_insert
    AFTER INSERT ON @extschema@.table_inventory
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_insert;
CREATE TRIGGER table_inventory_floor_version_update
    AFTER UPDATE ON @extschema@.table_inventory
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_update;
CREATE TRIGGER table_inventory_floor_version_delete
    AFTER DELETE ON @extschema@.table_inventory
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_delete;
CREATE TRIGGER table_inventory_floor_version_truncate
    AFTER TRUNCATE ON @extschema@.table_inventory
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_truncate;
CREATE TRIGGER table_adjacencies_floor_version_insert
    AFTER INSERT ON @extschema@.table_adjacencies
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_adjacencies ENABLE ALWAYS TRIGGER table_adjacencies_floor_version_insert;
CREATE TRIGGER table_adjacencies_floor_version_update
    AFTER UPDATE ON @extschema@.table_adjacencies
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_adjacencies ENABLE ALWAYS TRIGGER table_adjacencies_floor_version_update;
CREATE TRIGGER table_adjacencies_floor_version_delete
    AFTER DELETE ON @extschema@.table_adjacencies
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_adjacencies ENABLE ALWAYS TRIGGER table_adjacencies_floor_version_delete;
CREATE TRIGGER table_adjacencies_floor_version_truncate
    AFTER TRUNCATE ON @extschema@.table_adjacencies
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_adjacencies ENABLE ALWAYS TRIGGER table_adjacencies_floor_version_truncate;
-- Logical replication's apply fires row triggers only, and runs as replica: on a subscriber
-- these renew the versions for each replicated row (ENABLE REPLICA: nowhere else, where the
-- statement triggers above do it once per statement). floor_versions itself is each
-- database's own and is not published.
CREATE TRIGGER table_inventory_floor_version_replica
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.table_inventory
    FOR EACH ROW EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_inventory ENABLE REPLICA TRIGGER table_inventory_floor_version_replica;
CREATE TRIGGER table_adjacencies_floor_version_replica
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.table_adjacencies
    FOR EACH ROW EXECUTE FUNCTION @extschema@.floor_versions_renew();
ALTER TABLE @extschema@.table_adjacencies ENABLE REPLICA TRIGGER table_adjacencies_floor_version_replica;
