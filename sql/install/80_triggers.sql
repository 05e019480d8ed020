
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
