
------------------------------------------------------------------------------------------
-- Trigger functions: adjacency stays within one zone whichever row changes, and pg_dump
-- restores of the seeded tables keep working. The triggers are in 80_triggers.sql.
------------------------------------------------------------------------------------------

-- SECURITY DEFINER: the row locks below need more than the SELECT a writer of
-- table_adjacencies has on table_inventory.
CREATE FUNCTION @extschema@.table_adjacencies_same_zone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    zone_a uuid;
    zone_b uuid;
BEGIN
    -- FOR SHARE waits for a concurrent move of either table to another zone and reads the
    -- zone it moved to (table_inventory_zone_keeps_adjacency checks from the other side).
    SELECT zone_id INTO zone_a FROM @extschema@.table_inventory WHERE id OPERATOR(pg_catalog.=) NEW.table_a FOR SHARE;
    SELECT zone_id INTO zone_b FROM @extschema@.table_inventory WHERE id OPERATOR(pg_catalog.=) NEW.table_b FOR SHARE;
    -- A missing table is left to the foreign keys (23503), which run after this trigger.
    IF zone_a OPERATOR(pg_catalog.<>) zone_b THEN
        RAISE EXCEPTION 'tables % and % are in different zones and cannot be adjacent', NEW.table_a, NEW.table_b
            USING ERRCODE = '23514',
                  DETAIL = pg_catalog.json_build_object('reason', 'adjacency_across_zones',
                               'table_id', NEW.table_a, 'other_table_id', NEW.table_b,
                               'zone_id', zone_a, 'other_zone_id', zone_b)::text,
                  HINT = 'Adjacency links tables of one zone only.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.table_adjacencies_same_zone() IS
    'Trigger: rejects an adjacency edge between tables of different zones (23514).';

-- The same rule from the other side: a table cannot move to another zone while it has an
-- edge to a table of its old zone (remove the edges first).
CREATE FUNCTION @extschema@.table_inventory_zone_keeps_adjacency() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    other_table uuid;
    other_zone uuid;
BEGIN
    SELECT o.id, o.zone_id INTO other_table, other_zone
      FROM @extschema@.table_adjacencies e
      JOIN @extschema@.table_inventory o
        ON o.id OPERATOR(pg_catalog.=) CASE WHEN e.table_a OPERATOR(pg_catalog.=) NEW.id THEN e.table_b ELSE e.table_a END
     WHERE (e.table_a OPERATOR(pg_catalog.=) NEW.id OR e.table_b OPERATOR(pg_catalog.=) NEW.id)
       AND o.zone_id OPERATOR(pg_catalog.<>) NEW.zone_id
     LIMIT 1;
    IF other_table IS NOT NULL THEN
        RAISE EXCEPTION 'table % cannot move to zone %: it is adjacent to table % of zone %',
                        NEW.id, NEW.zone_id, other_table, other_zone
            USING ERRCODE = '23514',
                  DETAIL = pg_catalog.json_build_object('reason', 'adjacency_across_zones',
                               'table_id', NEW.id, 'other_table_id', other_table,
                               'zone_id', NEW.zone_id, 'other_zone_id', other_zone)::text,
                  HINT = 'Delete the table''s rows in table_adjacencies first; adjacency links tables of one zone only.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.table_inventory_zone_keeps_adjacency() IS
    'Trigger: refuses (23514) moving a table to another zone while it has adjacency edges to tables of other zones.';

-- Tables seeded by this script (flags, alert thresholds) are also dumped by pg_dump, which
-- restores their rows after CREATE EXTENSION has inserted the defaults. This trigger turns
-- an insert of an existing key into a replacement, so the restored values win.
-- TG_ARGV[0] names the key column.
CREATE FUNCTION @extschema@.replace_seeded_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE pg_catalog.format('DELETE FROM %I.%I WHERE %I::text OPERATOR(pg_catalog.=) $1', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0])
      USING pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.->>) TG_ARGV[0];
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.replace_seeded_row() IS
    'Trigger: an INSERT of an existing key replaces that row (keeps pg_dump restores of seeded tables working).';

-- An assignment written without its restaurant (by hand, or by a legacy writer running as
-- the owner) gets its booking's; the allocator's own INSERT passes it and skips this.
CREATE FUNCTION @extschema@.booking_table_assignments_fill_restaurant() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT b.restaurant_id INTO NEW.restaurant_id
      FROM @extschema@.bookings b WHERE b.id OPERATOR(pg_catalog.=) NEW.booking_id;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.booking_table_assignments_fill_restaurant() IS
    'Trigger: fills booking_table_assignments.restaurant_id from the booking when a writer left it out.';

-- A booking or a table keeps its restaurant while it is seated or held: assignments, holds
-- and mirror rows carry that restaurant (row level security shows them to its staff, and
-- the tenancy check reads it), so moving it would hand them to another restaurant.
CREATE FUNCTION @extschema@.refuse_restaurant_change_while_seated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'bookings'
       AND (EXISTS (SELECT FROM @extschema@.booking_table_assignments a WHERE a.booking_id OPERATOR(pg_catalog.=) OLD.id)
            OR EXISTS (SELECT FROM @extschema@.table_holds h WHERE h.booking_id OPERATOR(pg_catalog.=) OLD.id))
       OR TG_TABLE_NAME OPERATOR(pg_catalog.=) 'table_inventory'
       AND (EXISTS (SELECT FROM @extschema@.booking_table_assignments a WHERE a.table_id OPERATOR(pg_catalog.=) OLD.id)
            OR EXISTS (SELECT FROM @extschema@.table_hold_members m WHERE m.table_id OPERATOR(pg_catalog.=) OLD.id)) THEN
        PERFORM @extschema@.allocator_error('23514',
            pg_catalog.format('%s %s cannot move to restaurant %s while it has tables assigned or held',
                              CASE TG_TABLE_NAME WHEN 'bookings' THEN 'booking' ELSE 'table' END, OLD.id, NEW.restaurant_id),
            pg_catalog.jsonb_build_object('reason', 'restaurant_change_while_seated', 'id', OLD.id,
                                          'restaurant_id', OLD.restaurant_id, 'new_restaurant_id', NEW.restaurant_id),
            'Unassign its tables and release its holds first (unassign_tables_atomic, release_table_hold).');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.refuse_restaurant_change_while_seated() IS
    'Trigger: refuses to move a booking or a table to another restaurant while it has assignments or holds.';

-- Auto-assignment keeps a restaurant's floor while its row of floor_versions is unchanged
-- (16_floor_versions.sql): every statement that changes tables or adjacency gives each
-- restaurant it touched a new version, once per statement, in restaurant order (two
-- statements on the same restaurants queue in the same order). One trigger per event, as
-- transition tables ask; changed_old and changed_new are the rows before and after. An
-- edge's restaurant is its first table's (both ends share a zone, so a restaurant); an edge
-- deleted with its table finds no table here, but the table's own statement renews the
-- version. Logical replication's apply fires row triggers only: there the same function runs
-- once per row (the _replica triggers, 80_triggers.sql), on OLD and NEW. SECURITY DEFINER:
-- only the owner writes floor_versions.
CREATE FUNCTION @extschema@.floor_versions_renew() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched uuid[];  -- restaurant ids (table_inventory) or tables (table_adjacencies.table_a)
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        UPDATE @extschema@.floor_versions v
           SET version = pg_catalog.nextval('@extschema@.floor_version_seq'::pg_catalog.regclass);
        RETURN NULL;
    END IF;
    IF TG_LEVEL OPERATOR(pg_catalog.=) 'ROW' THEN
        IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'table_inventory' THEN
            IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN touched := ARRAY[NEW.restaurant_id]; END IF;
            IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN touched := pg_catalog.array_append(touched, OLD.restaurant_id); END IF;
        ELSE
            IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN touched := ARRAY[NEW.table_a]; END IF;
            IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN touched := pg_catalog.array_append(touched, OLD.table_a); END IF;
        END IF;
    ELSIF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'table_inventory' THEN
        IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
            touched := ARRAY(SELECT n.restaurant_id FROM changed_new n);
        ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            touched := ARRAY(SELECT o.restaurant_id FROM changed_old o);
        ELSE
            touched := ARRAY(SELECT n.restaurant_id FROM changed_new n
                             UNION SELECT o.restaurant_id FROM changed_old o);
        END IF;
    ELSE
        IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
            touched := ARRAY(SELECT n.table_a FROM changed_new n);
        ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
            touched := ARRAY(SELECT o.table_a FROM changed_old o);
        ELSE
            touched := ARRAY(SELECT n.table_a FROM changed_new n UNION SELECT o.table_a FROM changed_old o);
        END IF;
    END IF;
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'table_adjacencies' THEN
        touched := ARRAY(SELECT t.restaurant_id FROM @extschema@.table_inventory t
                          WHERE t.id OPERATOR(pg_catalog.=) ANY (touched));
    END IF;
    INSERT INTO @extschema@.floor_versions AS v (restaurant_id)
    SELECT DISTINCT r.id FROM pg_catalog.unnest(touched) AS r (id) ORDER BY r.id
    ON CONFLICT (restaurant_id) DO UPDATE
        SET version = pg_catalog.nextval('@extschema@.floor_version_seq'::pg_catalog.regclass);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.floor_versions_renew() IS
    'Trigger: renews floor_versions for every restaurant whose tables or adjacency a statement (or, under logical replication''s apply, a row) changed.';
