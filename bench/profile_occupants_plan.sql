-- The plans of the occupants read (src/pg/data/occupants.cpp), the read every assign and hold makes
-- of what already occupies its tables: the generic plan (what a cached plan becomes after
-- five executions, if it looks no dearer than the custom ones) and a custom plan for the
-- same values. psql -v table=N -v booking=N: see bench/profile_occupants_prepare.sql.
\set ON_ERROR_STOP 1
\ir profile_occupants_prepare.sql
\echo '-- generic plan (plan_cache_mode = force_generic_plan)'
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE occupants(:'tables', :'booking', :'start_at', :'end_at');
\echo '-- custom plan for the same values (plan_cache_mode = force_custom_plan)'
SET plan_cache_mode = force_custom_plan;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE occupants(:'tables', :'booking', :'start_at', :'end_at');
-- Whether the statement EXPLAINed is the one the extension runs: EXPLAIN ANALYZE EXECUTE
-- ran it as a top-level statement, and pg_stat_statements identifies a statement by its
-- parse tree (queryid), not its text, so the two share a queryid exactly when they are
-- the same query. (The texts differ: pg_stat_statements shows constants as $n.)
SELECT CASE WHEN count(*) FILTER (WHERE NOT toplevel) = 0
            THEN 'no allocator call has read occupants since the counters were reset'
            WHEN count(*) FILTER (WHERE toplevel) = 0 THEN 'no: the query EXPLAINed is not the one the extension runs'
            ELSE 'yes: same queryid as the occupants read the extension ran' END AS "same statement?"
  FROM pg_stat_statements
 WHERE queryid IN (SELECT queryid FROM pg_stat_statements
                   WHERE NOT toplevel AND bench_statement_label(query, false) = 'load occupants');
