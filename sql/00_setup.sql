-- Creates the extension and the known restaurant every later suite starts from
-- (each suite calls fixture_reset() first).
CREATE EXTENSION allocator;
\set ECHO none
\i test/fixtures/restaurant.sql
\set ECHO all
SELECT fixture_reset();
SELECT count(*) AS tables FROM table_inventory;
