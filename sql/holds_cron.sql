-- schedule_hold_sweeper(p_schedule) / unschedule_hold_sweeper(): the pg_cron job
-- 'allocator-hold-sweeper' that runs sweep_expired_holds().
--
-- The regression instance preloads pg_cron with cron.database_name = contrib_regression,
-- but the pg_cron extension is not created yet: that is how "pg_cron not installed in this
-- database" is shown (55000, reason pg_cron_missing). Job ids come from a sequence and are
-- never printed. No hold is expired while the job has a schedule that can fire, so the
-- scheduler running it in the background changes nothing this suite looks at. The suite
-- removes its jobs and drops pg_cron again at the end, so later suites see the database
-- as it was (and no sweeper runs behind their backs).
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- 1. Without the pg_cron extension: 55000 pg_cron_missing from both functions, with a
--    DETAIL naming the database and a HINT on how to set pg_cron up.
------------------------------------------------------------------------------------------
SELECT count(*) AS pg_cron_installed FROM pg_extension WHERE extname = 'pg_cron';
SELECT try($$SELECT schedule_hold_sweeper()$$);
SELECT try($$SELECT schedule_hold_sweeper('*/5 * * * *')$$);
SELECT try($$SELECT unschedule_hold_sweeper()$$);
SELECT try_detail($$SELECT schedule_hold_sweeper()$$);
DO $$
BEGIN
    PERFORM schedule_hold_sweeper();
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'sqlstate %, message: %', SQLSTATE, SQLERRM;
    DECLARE
        hint text;
    BEGIN
        GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
        RAISE NOTICE 'hint mentions shared_preload_libraries: %, CREATE EXTENSION pg_cron: %',
            hint LIKE '%shared_preload_libraries%', hint LIKE '%CREATE EXTENSION pg_cron%';
    END;
END
$$;

------------------------------------------------------------------------------------------
-- 2. With pg_cron: schedule returns the job id; cron.job shows the job.
------------------------------------------------------------------------------------------
CREATE EXTENSION pg_cron;
SELECT schedule_hold_sweeper() AS job_id \gset
SELECT :job_id > 0 AS has_job_id;
SELECT jobid = :job_id AS same_id, jobname, schedule, command, database, username = current_user AS current_user, active
  FROM cron.job ORDER BY jobid;
-- The job's command runs as is (here directly, not waiting for the scheduler): with an
-- expired hold in place it sweeps it. So that the scheduler cannot run the job first, it
-- is moved to a schedule that never fires (February 31st) for this part.
SELECT schedule_hold_sweeper('0 0 31 2 *') = :job_id AS same_job;
SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)]);
UPDATE table_holds SET expires_at = now() - interval '1 second';
DO $$
DECLARE
    swept integer;
BEGIN
    EXECUTE (SELECT command FROM cron.job WHERE jobname = 'allocator-hold-sweeper') INTO swept;
    RAISE NOTICE 'job command swept % hold(s)', swept;
END
$$;
SELECT count(*) AS holds_left FROM table_holds;
SELECT event_type, source, severity, context->>'removed_by' AS removed_by
  FROM observability_events WHERE event_type = 'hold.expired';

------------------------------------------------------------------------------------------
-- 3. Rescheduling keeps one job (same id) with the new schedule.
------------------------------------------------------------------------------------------
SELECT schedule_hold_sweeper('*/5 * * * *') = :job_id AS same_job;
SELECT schedule_hold_sweeper(p_schedule => '30 3 * * *') = :job_id AS same_job;
SELECT count(*) AS jobs, min(schedule) AS schedule FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
SELECT schedule_hold_sweeper() = :job_id AS same_job;
SELECT count(*) AS jobs, min(schedule) AS schedule FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
-- NULL is the default schedule, as when it is left out.
SELECT schedule_hold_sweeper('*/5 * * * *') = :job_id AS same_job;
SELECT schedule_hold_sweeper(NULL) = :job_id AS same_job;
SELECT count(*) AS jobs, min(schedule) AS schedule FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
-- A blank schedule is 22023 bad_schedule; the job is left as it was.
SELECT try($$SELECT schedule_hold_sweeper('  ')$$);
SELECT count(*) AS jobs, min(schedule) AS schedule FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
-- Other jobs are not touched by either function.
SELECT cron.schedule('someone-elses-job', '0 4 * * *', 'SELECT 1') > 0 AS scheduled;
SELECT schedule_hold_sweeper('*/2 * * * *') = :job_id AS same_job;
SELECT jobname, schedule FROM cron.job ORDER BY jobname;

------------------------------------------------------------------------------------------
-- 4. Unschedule: true when the job existed, then false; the other job stays.
------------------------------------------------------------------------------------------
-- Another role's job of the same name (pg_cron names jobs per role) is never touched: the
-- sweeper's job is known by its id, kept in allocator_cron_jobs. (0.1.0 found it by name,
-- so a second unschedule deleted the other role's job.)
CREATE ROLE regress_cron_other;
GRANT USAGE ON SCHEMA cron TO regress_cron_other;
SET ROLE regress_cron_other;
SELECT cron.schedule('allocator-hold-sweeper', '0 5 * * *', 'SELECT 2') > 0 AS other_roles_job;
RESET ROLE;
SELECT job_id = :job_id AS known_by_id, scheduled_by FROM allocator_cron_jobs;
-- The job belongs to the extension's owner, whoever asked for it.
SELECT username = (SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner
                    WHERE e.extname = 'allocator') AS owned_by_extension_owner
  FROM cron.job WHERE jobid = :job_id;
SELECT unschedule_hold_sweeper() AS removed;
SELECT jobname, username = 'regress_cron_other' AS other_roles FROM cron.job ORDER BY jobname, 2;
SELECT unschedule_hold_sweeper() AS removed_again;
SELECT count(*) AS other_roles_job_kept FROM cron.job WHERE username = 'regress_cron_other';
SELECT cron.unschedule(jobid) FROM cron.job WHERE username = 'regress_cron_other';
REVOKE USAGE ON SCHEMA cron FROM regress_cron_other;
DROP ROLE regress_cron_other;
-- Scheduling again after an unschedule creates a new job.
SELECT schedule_hold_sweeper() IS NOT NULL AS scheduled;
SELECT count(*) AS jobs FROM cron.job WHERE jobname = 'allocator-hold-sweeper';
SELECT unschedule_hold_sweeper() AS removed;

------------------------------------------------------------------------------------------
-- 5. Clean up: remove the other job and pg_cron, as this suite found the database.
------------------------------------------------------------------------------------------
SELECT cron.unschedule('someone-elses-job');
SELECT count(*) AS jobs FROM cron.job;
DROP EXTENSION pg_cron;
SELECT try($$SELECT unschedule_hold_sweeper()$$);
