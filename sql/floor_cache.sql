\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
-- Auto-assignment's floor cache (docs/schema.md#floor_versions): a backend keeps the floor it
-- read for a restaurant and serves it again while the restaurant's row of floor_versions is
-- the committed one it read with it. Every statement that changes tables or adjacency renews
-- that row in its own transaction, so every change shows in the next quote of this backend,
-- including its own uncommitted ones, and a change rolled back never stays.
CREATE FUNCTION pg_temp.best(p_booking uuid, p_adjacency boolean DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(array_to_string(array(SELECT tn(x) FROM unnest(q.table_ids) AS x ORDER BY 1), '+'), ', ' ORDER BY q.rank)
      FROM quote_tables(p_booking, p_require_adjacency => p_adjacency, p_limit => 3) q
$$;
CREATE FUNCTION pg_temp.version(p_restaurant uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT v.version FROM floor_versions v WHERE v.restaurant_id = p_restaurant
$$;
CREATE FUNCTION pg_temp.versions(OUT r1 bigint, OUT r2 bigint) LANGUAGE sql AS $$
    SELECT pg_temp.version(r(1)), pg_temp.version(r(2))
$$;

-- ---- The versions ------------------------------------------------------------------------------
-- Every restaurant with tables has one (the fixture inserted them).
SELECT count(*) AS restaurants_with_a_version FROM floor_versions;
-- One statement renews each restaurant it touched once, and no other.
SELECT * FROM pg_temp.versions() \gset before_
UPDATE table_inventory SET capacity = capacity WHERE restaurant_id = r(1);
SELECT r1 > :before_r1 AS r1_renewed, r2 = :before_r2 AS r2_kept FROM pg_temp.versions();
-- A table moved to another restaurant renews both.
SELECT * FROM pg_temp.versions() \gset before_
UPDATE table_inventory SET restaurant_id = r(2), zone_id = z(3) WHERE id = t(4);
SELECT r1 > :before_r1 AS r1_renewed, r2 > :before_r2 AS r2_renewed FROM pg_temp.versions();
UPDATE table_inventory SET restaurant_id = r(1), zone_id = z(1) WHERE id = t(4);
-- Adjacency renews its tables' restaurant; TRUNCATE renews every one.
SELECT * FROM pg_temp.versions() \gset before_
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(4), t(3));
SELECT r1 > :before_r1 AS r1_renewed, r2 = :before_r2 AS r2_kept FROM pg_temp.versions();
BEGIN;
SELECT * FROM pg_temp.versions() \gset before_
TRUNCATE table_adjacencies;
SELECT r1 > :before_r1 AS r1_renewed, r2 > :before_r2 AS r2_renewed FROM pg_temp.versions();
ROLLBACK;
-- A new restaurant's first table gives it a version.
INSERT INTO zones (id, restaurant_id, name) VALUES (z(9), r(9), 'new');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity) VALUES (t(90), r(9), z(9), 'N1', 2);
SELECT pg_temp.version(r(9)) IS NOT NULL AS new_restaurant_versioned;
-- A writer with no privilege on floor_versions renews it all the same (the trigger runs as
-- the owner), and cannot write it directly.
CREATE ROLE regress_floor_writer;
GRANT SELECT, UPDATE ON table_inventory TO regress_floor_writer;
SELECT pg_temp.version(r(1)) AS before_r1 \gset
SET ROLE regress_floor_writer;
UPDATE table_inventory SET capacity = 2 WHERE id = t(1);
SELECT try($$UPDATE floor_versions SET version = 1$$) AS direct_write;
RESET ROLE;
SELECT pg_temp.version(r(1)) > :before_r1 AS renewed_by_writer;
REVOKE ALL ON table_inventory FROM regress_floor_writer;
DROP ROLE regress_floor_writer;

-- ---- The kept floor follows every change ------------------------------------------------------
-- A party of 2: M1 first. Quoted twice, the second from the kept floor.
SELECT pg_temp.best(b(1)) AS first_quote, pg_temp.best(b(1)) AS kept_quote;
UPDATE table_inventory SET active = false WHERE id = t(1);
SELECT pg_temp.best(b(1)) AS m1_inactive;
UPDATE table_inventory SET active = true WHERE id = t(1);
SELECT pg_temp.best(b(1)) AS m1_back;
-- The transaction's own change shows at once; rolled back, it is gone from the next quote.
BEGIN;
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(1);
SELECT pg_temp.best(b(1)) AS own_change;
SELECT pg_temp.best(b(1)) AS own_change_again;
ROLLBACK;
SELECT pg_temp.best(b(1)) AS after_rollback;
-- The same in a subtransaction rolled back.
BEGIN;
SAVEPOINT s;
UPDATE table_inventory SET capacity = 6 WHERE id = t(1);
SELECT pg_temp.best(b(1)) AS in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.best(b(1)) AS after_savepoint;
COMMIT;
-- Adjacency: a party of 6 seated on connected tables; the kept adjacency goes with an edge.
SELECT pg_temp.best(b(3), true) AS connected, pg_temp.best(b(3), true) AS connected_kept;
DELETE FROM table_adjacencies WHERE table_a = t(3) AND table_b = t(2);
SELECT pg_temp.best(b(3), true) AS without_edge_m2_m3;
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(3), t(2));
SELECT pg_temp.best(b(3), true) AS edge_back;
-- Restores and sessions that run as replica fire the triggers all the same (ENABLE ALWAYS).
SET session_replication_role = replica;
UPDATE table_inventory SET active = false WHERE id = t(1);
RESET session_replication_role;
SELECT pg_temp.best(b(1)) AS inactive_under_replica_role;
UPDATE table_inventory SET active = true WHERE id = t(1);
-- A table deleted with its edges (the cascade finds no table for them; the table's own
-- statement renews the version).
DELETE FROM table_inventory WHERE id = t(4);
SELECT pg_temp.best(b(1)) AS without_m4, pg_temp.best(b(3), true) AS connected_without_m4;
-- auto_assign_booking plans from the same kept floor.
UPDATE table_inventory SET active = false WHERE id IN (t(1), t(2));
SELECT string_agg(tn(a.table_id), '+') AS auto_seated FROM auto_assign_booking(b(1)) a;

-- ---- A quote within the statement that changes the floor -------------------------------------
-- A row trigger (or a data-modifying CTE) quotes before its statement's end renews the
-- version. The quote sees the statement's change, and keeps none of it: this transaction
-- holds the write lock on the floor's table.
CREATE FUNCTION pg_temp.quote_within() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'quoted within the update: %', pg_temp.best(b(2));
    RETURN NULL;
END $$;
CREATE TRIGGER regress_quote_within AFTER UPDATE ON table_inventory
    FOR EACH ROW EXECUTE FUNCTION pg_temp.quote_within();
-- Nothing kept under a fresh committed version: the trigger's quote reads the floor itself.
UPDATE floor_versions SET version = nextval('floor_version_seq') WHERE restaurant_id = r(1);
BEGIN;
UPDATE table_inventory SET active = false WHERE id = t(7);
ROLLBACK;
SELECT pg_temp.best(b(2)) AS after_rollback_of_a_read_floor;
-- Kept under a committed version: the trigger's quote still sees its statement's change.
UPDATE floor_versions SET version = nextval('floor_version_seq') WHERE restaurant_id = r(1);
SELECT pg_temp.best(b(2)) AS kept_before_the_update;
BEGIN;
UPDATE table_inventory SET active = false WHERE id = t(7);
ROLLBACK;
SELECT pg_temp.best(b(2)) AS after_rollback_of_a_kept_floor;
DROP TRIGGER regress_quote_within ON table_inventory;

-- ---- The floor really is kept -----------------------------------------------------------------
-- With the trigger disabled by the owner, a committed change no longer reaches this backend's
-- kept floor: the quote still offers P1 after it went out of service (why the triggers are
-- ENABLE ALWAYS, and docs/schema.md says never to disable them). docs/operations.md's
-- recovery, the trigger enabled again and the version renewed, reads it afresh.
SELECT pg_temp.best(b(2)) AS before_change;
ALTER TABLE table_inventory DISABLE TRIGGER table_inventory_floor_version_update;
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(7);
SELECT pg_temp.best(b(2)) AS kept_without_trigger;
ALTER TABLE table_inventory ENABLE ALWAYS TRIGGER table_inventory_floor_version_update;
UPDATE floor_versions SET version = nextval('floor_version_seq') WHERE restaurant_id = r(1);
SELECT pg_temp.best(b(2)) AS after_renewal;
UPDATE table_inventory SET status = 'available' WHERE id = t(7);
SELECT pg_temp.best(b(2)) AS back_in_service;
-- Within the transaction that changed the floor, nothing kept is served, even with the
-- trigger disabled: the transaction holds the table's write lock.
BEGIN;
ALTER TABLE table_inventory DISABLE TRIGGER table_inventory_floor_version_update;
UPDATE table_inventory SET status = 'out_of_service' WHERE id = t(7);
SELECT pg_temp.best(b(2)) AS own_change_without_trigger;
ROLLBACK;
SELECT pg_temp.best(b(2)) AS after_rollback;
