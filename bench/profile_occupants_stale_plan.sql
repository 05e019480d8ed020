-- How a cached generic plan of the occupants read goes stale (or, since 0.2.0's plans are
-- made with seq scans off, does not). A connection's plan is made once
-- and kept until the tables' statistics change (ANALYZE, by hand or by autovacuum); rows
-- arriving in between do not re-plan it. So: the hold tables are vacuumed and analyzed
-- empty (as after a quiet hour), the generic plan is made, :holds expired holds arrive
-- (bench/profile_expired_holds.sql: a sweeper backlog) and the same plan runs again; then
-- ANALYZE, and the plan made from the new statistics. psql -v table=N -v booking=N
-- -v holds=N. Leaves the backlog, analyzed, for the sweeper.
\set ON_ERROR_STOP 1
-- Autovacuum re-analyzes a table soon after enough of it changed (within its naptime, a
-- minute by default), and that re-plans; for the few seconds of this demonstration it is
-- held off the tables the plan reads, after they have been vacuumed here.
ALTER TABLE table_holds SET (autovacuum_enabled = false);
ALTER TABLE table_hold_members SET (autovacuum_enabled = false);
ALTER TABLE booking_table_assignments SET (autovacuum_enabled = false);
VACUUM ANALYZE table_holds, table_hold_members, allocations, booking_table_assignments;
\ir profile_occupants_prepare.sql
SET plan_cache_mode = force_generic_plan;
\echo '-- the generic plan made on the empty hold tables'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE occupants(:'tables', :'booking', :'start_at', :'end_at');
\ir profile_expired_holds.sql
\echo '-- the same cached plan (Planning Time is only its look-up), after the backlog arrived'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE occupants(:'tables', :'booking', :'start_at', :'end_at');
ANALYZE table_holds, table_hold_members, allocations;
\echo '-- re-planned after ANALYZE'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE occupants(:'tables', :'booking', :'start_at', :'end_at');
ALTER TABLE table_holds RESET (autovacuum_enabled);
ALTER TABLE table_hold_members RESET (autovacuum_enabled);
ALTER TABLE booking_table_assignments RESET (autovacuum_enabled);
