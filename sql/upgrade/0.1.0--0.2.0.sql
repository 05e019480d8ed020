-- allocator 0.1.0 -> 0.2.0: the schema changes. The update script the Makefile builds is
-- sql/install/05_privilege_targets.sql, sql/upgrade/record_privileges.sql, this file, then
-- every function and trigger of 0.2.0 (sql/install/2*-8*), all replayed as CREATE OR
-- REPLACE, then the privileges step (sql/install/90_privileges.sql).

-- allocator_telemetry_stats() reports four more counters; CREATE OR REPLACE cannot change
-- a function's OUT columns, so it is dropped here and created again with the others.
DROP FUNCTION @extschema@.allocator_telemetry_stats();

-- Nothing reads assignments by merge group (a group is found by its booking): 0.1.0's index
-- on merge_group_id only cost every merged row an index insert.
DROP INDEX @extschema@.booking_table_assignments_merge_group_idx;

-- Auto-assignment (issue 11) has a flag of its own, on by default as in a fresh install.
ALTER TABLE @extschema@.allocator_flags
    DROP CONSTRAINT allocator_flags_name_check,
    ADD CONSTRAINT allocator_flags_name_check
        CHECK (name IN ('require_adjacency', 'merges_enabled', 'allocations_dual_write', 'capacity_check',
                        'auto_assign'));
INSERT INTO @extschema@.allocator_flags (name, enabled, reason) VALUES ('auto_assign', true, 'default')
    ON CONFLICT (name) DO NOTHING;

-- A confirm replays an idempotency key only for the hold that stored it.
ALTER TABLE @extschema@.booking_assignment_idempotency ADD COLUMN hold_id uuid;
COMMENT ON COLUMN @extschema@.booking_assignment_idempotency.hold_id IS
    'The hold confirm_table_hold turned into this assignment (NULL for assign_tables_atomic_v2): a confirm '
    'replays a key only for the hold that stored it.';

-- Thresholds are finite numbers between 0 and 1e9 (0.1.0 accepted NaN, Infinity, 1e1000).
-- A value 0.1.0 let through goes back to its default, with the old value in the reason.
UPDATE @extschema@.allocator_alert_thresholds t
   SET threshold = d.threshold,
       reason = pg_catalog.format('reset by the 0.2.0 update: %s is not between 0 and 1000000000', t.threshold),
       changed_by = 'allocator 0.2.0 update', changed_at = pg_catalog.now()
  FROM (VALUES ('allocator.lock_contention', 50), ('allocator.hold_expiry_backlog', 25),
               ('allocator.rpc_conflict_rate', 10), ('allocator.telemetry_insert_failures', 0)) AS d(alert, threshold)
 WHERE d.alert OPERATOR(pg_catalog.=) t.alert
   AND NOT (t.threshold OPERATOR(pg_catalog.>=) 0 AND t.threshold OPERATOR(pg_catalog.<=) 1000000000);
ALTER TABLE @extschema@.allocator_alert_thresholds
    DROP CONSTRAINT allocator_alert_thresholds_threshold_check,
    ADD CONSTRAINT allocator_alert_thresholds_threshold_range
        CHECK (threshold OPERATOR(pg_catalog.>=) 0 AND threshold OPERATOR(pg_catalog.<=) 1000000000);

-- The sweeper's pg_cron job is found by its id, no longer by its name.
CREATE TABLE @extschema@.allocator_cron_jobs (
    job_name     text PRIMARY KEY,
    job_id       bigint NOT NULL,
    scheduled_by text NOT NULL,
    scheduled_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_cron_jobs IS
    'The pg_cron job ids of the jobs schedule_hold_sweeper created (cron.job.jobid). Written only by '
    'schedule_hold_sweeper / unschedule_hold_sweeper.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_cron_jobs', '');
-- 0.1.0 scheduled the job as the extension's owner (SECURITY DEFINER): adopt that one only.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        EXECUTE $q$
            INSERT INTO @extschema@.allocator_cron_jobs (job_name, job_id, scheduled_by)
            SELECT j.jobname, j.jobid, 'allocator 0.2.0 update'
              FROM cron.job j
             WHERE j.jobname OPERATOR(pg_catalog.=) 'allocator-hold-sweeper'
               AND j.username OPERATOR(pg_catalog.=) (
                   SELECT r.rolname::text FROM pg_catalog.pg_extension e
                     JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner
                    WHERE e.extname OPERATOR(pg_catalog.=) 'allocator')
             ORDER BY j.jobid LIMIT 1$q$;
    END IF;
END
$$;

-- Access for the Supabase path (docs/supabase.md): staff membership, the roles' recorded
-- access, the restaurant of every assignment (backfilled from its booking).
-- allocator:include 15_access_schema.sql

-- Auto-assignment's floor cache: a version per restaurant, renewed by the floor's triggers.
-- allocator:include 16_floor_versions.sql

-- The sweeper job runs run_hold_sweeper (a backlog clears in one run, batches committed one
-- by one) instead of one 500-hold sweep_expired_holds call a minute. Only the job this
-- extension scheduled (allocator_cron_jobs), and only as its owner, as cron.alter_job asks.
DO $$
DECLARE
    known_job bigint;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        SELECT j.job_id INTO known_job FROM @extschema@.allocator_cron_jobs j
         WHERE j.job_name OPERATOR(pg_catalog.=) 'allocator-hold-sweeper';
        IF known_job IS NOT NULL AND EXISTS (
               SELECT FROM cron.job c WHERE c.jobid OPERATOR(pg_catalog.=) known_job
                  AND c.username OPERATOR(pg_catalog.=) CURRENT_USER::text) THEN
            PERFORM cron.alter_job(job_id => known_job, command => (
                SELECT pg_catalog.format('CALL %I.run_hold_sweeper()', n.nspname)
                  FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
                 WHERE e.extname OPERATOR(pg_catalog.=) 'allocator'));
        END IF;
    END IF;
END
$$;
