-- The start of every regression suite (sql/*.sql), included with ECHO off:
--     \set ECHO none
--     \i test/helpers/setup.sql
--     \set ECHO all
-- A freshly created allocator with everything at its shipped defaults, the test helpers
-- (extension allocator_test, schema allocator_test: see test/helpers/Makefile) and the known
-- restaurant of test/fixtures/restaurant.sql, whatever a suite run before left behind. So any
-- suite runs alone (make installcheck REGRESS=name) and in any order.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS allocator_test;
DROP EXTENSION IF EXISTS allocator CASCADE;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION allocator;
CREATE EXTENSION allocator_test;
RESET client_min_messages;
SET timezone = 'UTC';
DO $$ BEGIN PERFORM allocator_test.fixture_reset(); END $$;
