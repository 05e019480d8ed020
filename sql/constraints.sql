-- Invariants the schema itself enforces (docs/schema.md#invariants), whatever writes the rows:
-- undirected adjacency without duplicates, self-edges or cross-zone edges, and the
-- exclusion constraint that backstops the allocator's own conflict check.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- table_adjacencies: (a,b) and (b,a) are one edge; no self-edge; no edge across zones.
------------------------------------------------------------------------------------------
-- (M1, M2) is stored: (M2, M1) is the same edge, and so is (M1, M2) again.
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(2), t(1))$$) AS reversed_duplicate;
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(1), t(2))$$) AS same_duplicate;
-- Both directions in one statement.
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(1), t(4)), (t(4), t(1))$$) AS both_directions_at_once;
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(3), t(3))$$) AS self_edge;
SELECT try($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(3), t(7))$$) AS cross_zone;
SELECT try($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(7), t(3))$$) AS cross_zone_reversed;
SELECT try($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(1), t(9))$$) AS cross_restaurant;
-- An update cannot sneak an edge across zones either.
SELECT try($$UPDATE table_adjacencies SET table_b = t(8) WHERE table_a = t(1) AND table_b = t(2)$$) AS update_cross_zone;
-- The cross-zone error in full (the trigger's DETAIL is JSON too).
\set SHOW_CONTEXT never
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(3), t(7));
\set SHOW_CONTEXT errors
-- A new edge in one zone is fine; the stored set is unchanged otherwise.
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(4), t(3));
SELECT tn(table_a) AS a, tn(table_b) AS b FROM table_adjacencies ORDER BY 1, 2;

------------------------------------------------------------------------------------------
-- booking_table_assignments: the exclusion constraint is the backstop. A row written
-- behind the allocator's back that overlaps another booking's is refused with 23P01, the
-- same SQLSTATE the allocator reports; touching windows are not an overlap.
------------------------------------------------------------------------------------------
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT try_state($$INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
             VALUES (b(2), t(1), '2030-06-01 20:00+00', '2030-06-01 22:00+00')$$) AS direct_overlap;
SELECT try_state($$INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
             VALUES (b(2), t(1), '2030-06-01 20:59:59.999999+00', '2030-06-01 22:00+00')$$) AS direct_overlap_1us;
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES (b(2), t(1), '2030-06-01 21:00+00', '2030-06-01 23:00+00');
-- The constraint's own error, in full (PostgreSQL's message: not a JSON DETAIL).
\set VERBOSITY terse
INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
VALUES (b(3), t(1), '2030-06-01 18:00+00', '2030-06-01 19:30+00');
\set VERBOSITY default
-- Even the same booking cannot hold one table twice at once (unique (booking, table)).
SELECT try_state($$INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
             VALUES (b(1), t(1), '2030-06-02 19:00+00', '2030-06-02 21:00+00')$$) AS same_booking_same_table;
-- Empty and inverted windows are impossible.
SELECT try_state($$INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
             VALUES (b(3), t(2), '2030-06-01 19:00+00', '2030-06-01 19:00+00')$$) AS empty_window;
SELECT try_state($$INSERT INTO booking_table_assignments (booking_id, table_id, start_at, end_at)
             VALUES (b(3), t(2), '2030-06-01 19:00+00', '2030-06-01 18:00+00')$$) AS inverted_window;
SELECT try_state($$INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at)
             VALUES (b(50), r(1), 2, '2030-06-01 19:00+00', '2030-06-01 19:00+00')$$) AS empty_booking_window;
-- The allocator reads rows written behind its back: the next assign sees the conflict.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(1)])$$) AS allocator_sees_direct_row;
SELECT * FROM seats ORDER BY tbl, start_utc;

------------------------------------------------------------------------------------------
-- table_hold_members: the same backstop for holds.
------------------------------------------------------------------------------------------
SELECT put_hold(1, b(2), ARRAY[t(7)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT try_state($$SELECT put_hold(2, b(3), ARRAY[t(7)], '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() + interval '10 minutes')$$) AS overlapping_hold;
SELECT put_hold(3, b(3), ARRAY[t(7)], '2030-06-01 21:00+00', '2030-06-01 22:00+00', now() + interval '10 minutes');
SELECT hn(hold_id), tn(table_id), utc(start_at), utc(end_at) FROM table_hold_members ORDER BY 1;

-- An edge to a table that does not exist is the foreign key's error (23503), not a zone error.
SELECT fixture_reset();
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(99), t(1))$$) AS missing_table;

------------------------------------------------------------------------------------------
-- Issue 7 finding 11: adjacency stays within one zone whichever row changes. A table with
-- an edge to a table of its zone cannot move to another zone; without edges it can.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$UPDATE table_inventory SET zone_id = z(2) WHERE id = t(2)$$) AS move_adjacent_table;
SELECT try_detail($$UPDATE table_inventory SET zone_id = z(2) WHERE id = t(2)$$) ->> 'other_table_id' IN (t(1)::text, t(3)::text) AS names_the_neighbour;
SELECT zone_id = z(1) AS still_in_main FROM table_inventory WHERE id = t(2);
SELECT try($$UPDATE table_inventory SET zone_id = z(2) WHERE id = t(4)$$) AS move_lone_table;
SELECT try($$UPDATE table_inventory SET capacity = 5 WHERE id = t(2)$$) AS other_columns_change_freely;
SELECT count(*) AS cross_zone_edges
  FROM table_adjacencies e JOIN table_inventory a ON a.id = e.table_a JOIN table_inventory b ON b.id = e.table_b
 WHERE a.zone_id <> b.zone_id;
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- CHECK constraints hold for the allocator's direct writes (src/pg/direct_write.cpp), which
-- keep each table's parsed constraints for the backend: one added, replaced under the same
-- name or dropped after this backend has written the table is enforced (or not) on the next
-- write. Assignments insert into booking_table_assignments; the zone pin updates bookings.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT count(*) FROM unassign_tables_atomic(b(1));
ALTER TABLE booking_table_assignments ADD CONSTRAINT regress_short_seatings
    CHECK (end_at OPERATOR(pg_catalog.-) start_at OPERATOR(pg_catalog.<=) interval '1 hour');
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS added_check;
ALTER TABLE booking_table_assignments DROP CONSTRAINT regress_short_seatings;
ALTER TABLE booking_table_assignments ADD CONSTRAINT regress_short_seatings
    CHECK (start_at OPERATOR(pg_catalog.>=) '2031-01-01 00:00+00');
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS replaced_check;
ALTER TABLE booking_table_assignments DROP CONSTRAINT regress_short_seatings;
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS dropped_check;
SELECT count(*) FROM unassign_tables_atomic(b(1));
-- The pin's update: a booking may not be pinned (NOT VALID: only new row versions are checked).
ALTER TABLE bookings ADD CONSTRAINT regress_never_pinned CHECK (assigned_zone_id IS NULL) NOT VALID;
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS pin_refused;
ALTER TABLE bookings DROP CONSTRAINT regress_never_pinned;
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS pin_allowed;
-- Nothing of the refused calls stayed: one assignment, its booking pinned.
SELECT count(*) AS assignments, bool_and(bk.assigned_zone_id IS NOT NULL) AS pinned
  FROM booking_table_assignments a JOIN bookings bk ON bk.id = a.booking_id;
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- An assignment leaves out the mirror's and the ledger's checks of the foreign keys its own
-- rows already check (booking_id, the mirror's assignment_id), never another: a foreign key
-- or a trigger added to those tables still does its work on the allocator's writes.
------------------------------------------------------------------------------------------
CREATE TABLE regress_staff (id uuid PRIMARY KEY);
ALTER TABLE allocations ADD CONSTRAINT regress_allocations_created_by_fkey
    FOREIGN KEY (created_by) REFERENCES regress_staff (id);
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)],
                     p_assigned_by => 'c0000000-0000-4000-8000-000000000001')$$) AS unknown_staff;
INSERT INTO regress_staff VALUES ('c0000000-0000-4000-8000-000000000001');
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)],
                     p_assigned_by => 'c0000000-0000-4000-8000-000000000001')$$) AS known_staff;
ALTER TABLE allocations DROP CONSTRAINT regress_allocations_created_by_fkey;
DROP TABLE regress_staff;
SELECT count(*) FROM unassign_tables_atomic(b(1));
CREATE TABLE regress_ledger_log (booking_id uuid, idempotency_key text);
CREATE FUNCTION regress_log_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.regress_ledger_log VALUES (NEW.booking_id, NEW.idempotency_key);
    RETURN NULL;
END
$$;
CREATE TRIGGER regress_log_ledger AFTER INSERT ON booking_assignment_idempotency
    FOR EACH ROW EXECUTE FUNCTION regress_log_ledger();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], p_idempotency_key => 'regress-log');
SELECT booking_id = b(1) AS logged_booking, idempotency_key FROM regress_ledger_log;
DROP TRIGGER regress_log_ledger ON booking_assignment_idempotency;
DROP FUNCTION regress_log_ledger();
DROP TABLE regress_ledger_log;
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- The assignment rows' checks of their booking and table, and the pin's of its zone, are
-- locks the write takes itself (isolation spec referenced_rows_vs_writers). PostgreSQL's own
-- checks still run when a BEFORE trigger could have changed the key, and a foreign key to
-- another table on the same column is checked as ever.
------------------------------------------------------------------------------------------
-- A BEFORE trigger that sets one column (its first argument) to a value (its second).
CREATE FUNCTION regress_set_column() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], TG_ARGV[1]));
    RETURN NEW;
END
$$;
-- One that sends the assignment to a table that does not exist.
CREATE TRIGGER regress_misroute BEFORE INSERT ON booking_table_assignments
    FOR EACH ROW EXECUTE FUNCTION regress_set_column('table_id', 'd0000000-0000-4000-8000-000000000001');
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS misrouted_table;
DROP TRIGGER regress_misroute ON booking_table_assignments;
-- One that pins the booking to a zone that does not exist.
CREATE TRIGGER regress_mispin BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION regress_set_column('assigned_zone_id', 'd0000000-0000-4000-8000-000000000002');
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS mispinned_zone;
DROP TRIGGER regress_mispin ON bookings;
DROP FUNCTION regress_set_column();
-- A second foreign key on booking_id, to a table of the operator's: checked.
CREATE TABLE regress_vip (id uuid PRIMARY KEY);
ALTER TABLE booking_table_assignments ADD CONSTRAINT regress_vip_fkey
    FOREIGN KEY (booking_id) REFERENCES regress_vip (id);
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])$$) AS not_a_vip;
INSERT INTO regress_vip VALUES (b(1));
SELECT try_state($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])$$) AS vip;
ALTER TABLE booking_table_assignments DROP CONSTRAINT regress_vip_fkey;
DROP TABLE regress_vip;
-- Nothing of the refused calls stayed: the vip's merge, its booking pinned, and no row names
-- a table or a zone that does not exist.
SELECT count(*) AS assignments, bool_and(bk.assigned_zone_id IS NOT NULL) AS pinned,
       count(*) FILTER (WHERE NOT EXISTS (SELECT FROM table_inventory ti WHERE ti.id = a.table_id)) AS unknown_tables,
       count(*) FILTER (WHERE NOT EXISTS (SELECT FROM zones z WHERE z.id = bk.assigned_zone_id)) AS unknown_zones
  FROM booking_table_assignments a JOIN bookings bk ON bk.id = a.booking_id;
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- Ids. A column whose default is gen_random_uuid() gets a random version 4 uuid, drawn by
-- the write for several rows at once; a column given another default gets that default.
------------------------------------------------------------------------------------------
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
SELECT count(*) AS ids, count(DISTINCT id) AS distinct_ids,
       count(*) FILTER (WHERE id::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS version_4
  FROM (SELECT id FROM booking_table_assignments UNION ALL SELECT id FROM allocations) ids;
SELECT count(*) FROM unassign_tables_atomic(b(1));
CREATE SEQUENCE regress_id_seq;
CREATE FUNCTION regress_next_id() RETURNS uuid LANGUAGE sql
    RETURN ('00000000-0000-4000-8000-' || lpad(nextval('public.regress_id_seq')::text, 12, '0'))::uuid;
ALTER TABLE allocations ALTER COLUMN id SET DEFAULT regress_next_id();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]);
SELECT resource_type, right(id::text, 2) AS id FROM allocations ORDER BY id;
ALTER TABLE allocations ALTER COLUMN id SET DEFAULT pg_catalog.gen_random_uuid();
DROP FUNCTION regress_next_id();
DROP SEQUENCE regress_id_seq;
SELECT fixture_reset();
