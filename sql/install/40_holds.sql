
------------------------------------------------------------------------------------------
-- Holds (native) and the pg_cron sweeper
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_table_hold(
    p_booking_id        uuid,
    p_table_ids         uuid[],
    p_ttl               interval DEFAULT '3 minutes',
    p_start_at          timestamptz DEFAULT NULL,
    p_end_at            timestamptz DEFAULT NULL,
    p_created_by        uuid DEFAULT NULL,
    p_metadata          jsonb DEFAULT '{}',
    p_require_adjacency boolean DEFAULT false)
RETURNS @extschema@.table_holds
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'create_table_hold';
COMMENT ON FUNCTION @extschema@.create_table_hold(uuid, uuid[], interval, timestamptz, timestamptz, uuid, jsonb, boolean) IS
    'Holds tables for a booking for p_ttl (10 seconds to 1 hour), with the same rules as an assignment; '
    'a hold also conflicts with any other live hold. Expired holds in the way are removed. Returns the hold.';

CREATE FUNCTION @extschema@.auto_hold_tables(
    p_booking_id        uuid,
    p_ttl               interval DEFAULT '3 minutes',
    p_start_at          timestamptz DEFAULT NULL,
    p_end_at            timestamptz DEFAULT NULL,
    p_max_tables        integer DEFAULT 3,
    p_require_adjacency boolean DEFAULT false,
    p_preferred_zone_id uuid DEFAULT NULL,
    p_created_by        uuid DEFAULT NULL,
    p_metadata          jsonb DEFAULT '{}')
RETURNS @extschema@.table_holds
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'auto_hold_tables';
COMMENT ON FUNCTION @extschema@.auto_hold_tables(uuid, interval, timestamptz, timestamptz, integer, boolean, uuid, uuid, jsonb) IS
    'Holds the best plan for the booking (p_max_tables, p_require_adjacency, p_preferred_zone_id as for '
    'quote_tables; every live hold counts as taken, the booking''s own too) for p_ttl, for its window or '
    '[p_start_at, p_end_at), as create_table_hold of those tables (p_created_by, p_metadata, result and errors as '
    'there); plans again when another call took a table first. 23514 auto_assign_disabled, booking_already_seated, '
    'no_feasible_plan; 23P01 no_free_plan.';

CREATE FUNCTION @extschema@.confirm_table_hold(
    p_hold_id         uuid,
    p_booking_id      uuid,
    p_idempotency_key text DEFAULT NULL,
    p_assigned_by     uuid DEFAULT NULL)
RETURNS TABLE (table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'confirm_table_hold';
COMMENT ON FUNCTION @extschema@.confirm_table_hold(uuid, uuid, text, uuid) IS
    'Atomically turns a live hold into assignments (result as assign_tables_atomic_v2) and deletes the hold. '
    'P0002 when the hold is missing or expired, 23514 when it belongs to another booking.';

CREATE FUNCTION @extschema@.release_table_hold(
    p_hold_id    uuid,
    p_booking_id uuid DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'release_table_hold';
COMMENT ON FUNCTION @extschema@.release_table_hold(uuid, uuid) IS
    'Deletes a hold with its members and mirror rows: true if one was released, false if there was none. '
    'With p_booking_id, refuses (23514) a hold of another booking.';

CREATE FUNCTION @extschema@.sweep_expired_holds(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'sweep_expired_holds';
COMMENT ON FUNCTION @extschema@.sweep_expired_holds(integer) IS
    'Deletes up to p_limit expired holds, oldest first (FOR UPDATE SKIP LOCKED, so sweepers never collide), '
    'with their mirror rows and one hold.expired event each. Returns how many. Run by pg_cron.';

-- What the pg_cron job runs: batches of sweep_expired_holds, each committed before the next,
-- so a backlog of up to p_max holds clears in one scheduled run while no batch's row locks
-- last longer than that batch. A procedure that commits can be neither SECURITY DEFINER nor
-- carry a SET clause; it runs as its caller, who needs EXECUTE on sweep_expired_holds (each
-- batch is a call of it), and names nothing through search_path (src/pg/holds_api.cpp).
CREATE PROCEDURE @extschema@.run_hold_sweeper(p_batch integer DEFAULT 1000, p_max integer DEFAULT 100000,
                                              INOUT swept bigint DEFAULT NULL)
LANGUAGE c
AS 'MODULE_PATHNAME', 'run_hold_sweeper';
COMMENT ON PROCEDURE @extschema@.run_hold_sweeper(integer, integer, bigint) IS
    'The hold sweeper pg_cron runs: sweep_expired_holds(p_batch) again and again, committing after each batch, '
    'until the backlog is gone or p_max holds are swept; returns how many. Inside a transaction block it '
    'cannot commit and sweeps in the caller''s transaction.';

-- The pg_cron job name the two functions below own.
CREATE FUNCTION @extschema@.hold_sweeper_job_name() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
RETURN 'allocator-hold-sweeper';
COMMENT ON FUNCTION @extschema@.hold_sweeper_job_name() IS
    'Name of the pg_cron job that runs run_hold_sweeper: allocator-hold-sweeper.';

-- pg_cron keeps its objects in the fixed schema "cron"; fail clearly when it is absent.
CREATE FUNCTION @extschema@.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  DETAIL = pg_catalog.json_build_object('reason', 'pg_cron_missing',
                               'database', pg_catalog.current_database())::text,
                  HINT = 'Set shared_preload_libraries = ''pg_cron'' and cron.database_name in postgresql.conf, '
                         'restart, then CREATE EXTENSION pg_cron in that database. For a database other than '
                         'cron.database_name, run from there: SELECT cron.schedule_in_database('
                         '''allocator-hold-sweeper'', ''* * * * *'', ''CALL <schema>.run_hold_sweeper()'', '
                         '''<this database>'').';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_pg_cron() IS
    'Raises 55000 with set-up instructions unless the pg_cron extension exists in this database.';


CREATE FUNCTION @extschema@.schedule_hold_sweeper(p_schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    command text;
    known_job bigint;
    job_id bigint;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('schedule_hold_sweeper');
    PERFORM @extschema@.require_pg_cron();
    p_schedule := coalesce(p_schedule, '* * * * *');  -- NULL is the default, as when omitted
    IF pg_catalog.btrim(p_schedule) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'p_schedule must be a cron schedule such as ''* * * * *'''
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.json_build_object('reason', 'bad_schedule')::text,
                  HINT = 'pg_cron 1.4 runs at most once a minute: ''* * * * *''.';
    END IF;
    SELECT pg_catalog.format('CALL %I.run_hold_sweeper()', n.nspname) INTO command
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'allocator';
    SELECT j.job_id INTO known_job FROM @extschema@.allocator_cron_jobs j
     WHERE j.job_name OPERATOR(pg_catalog.=) @extschema@.hold_sweeper_job_name() FOR UPDATE;
    -- Dynamic SQL so the extension installs and works without pg_cron. The job belongs to
    -- the extension's owner (this function is SECURITY DEFINER), whoever calls this.
    BEGIN
        EXECUTE 'SELECT pg_catalog.max(j.jobid) FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) $1'
           INTO job_id USING known_job;
        IF job_id IS NOT NULL THEN
            EXECUTE 'SELECT cron.alter_job(job_id => $1, schedule => $2, command => $3, active => true)'
              USING job_id, p_schedule, command;
        ELSE
            -- cron.schedule with a name replaces the owner's job of that name (one scheduled
            -- before its id was recorded here) and never touches another role's.
            EXECUTE 'SELECT cron.schedule($1, $2, $3)'
               INTO job_id USING @extschema@.hold_sweeper_job_name(), p_schedule, command;
        END IF;
    EXCEPTION WHEN invalid_parameter_value THEN
        -- pg_cron's own message, in our error contract (JSON DETAIL and a HINT)
        RAISE EXCEPTION 'invalid sweeper schedule ''%'': %', p_schedule, SQLERRM
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.json_build_object('reason', 'bad_schedule', 'schedule', p_schedule)::text,
                  HINT = 'Use five cron fields; pg_cron 1.4 runs at most once a minute: ''* * * * *''.';
    END;
    DELETE FROM @extschema@.allocator_cron_jobs j WHERE j.job_name OPERATOR(pg_catalog.=) @extschema@.hold_sweeper_job_name();
    INSERT INTO @extschema@.allocator_cron_jobs (job_name, job_id, scheduled_by)
    VALUES (@extschema@.hold_sweeper_job_name(), job_id, @extschema@.allocator_caller() OPERATOR(pg_catalog.->>) 'name');
    RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_hold_sweeper(text) IS
    'Registers (or reschedules) the pg_cron job allocator-hold-sweeper running sweep_expired_holds(); returns its job id, '
    'kept in allocator_cron_jobs. The job is owned by, and runs as, the extension''s owner, whoever calls this. '
    'Needs pg_cron in this database (55000 otherwise).';

CREATE FUNCTION @extschema@.unschedule_hold_sweeper()
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    known_job bigint;
    existed boolean;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('unschedule_hold_sweeper');
    PERFORM @extschema@.require_pg_cron();
    DELETE FROM @extschema@.allocator_cron_jobs j WHERE j.job_name OPERATOR(pg_catalog.=) @extschema@.hold_sweeper_job_name()
    RETURNING j.job_id INTO known_job;
    IF known_job IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) $1)' INTO existed USING known_job;
    IF existed THEN
        EXECUTE 'SELECT cron.unschedule($1::bigint)' USING known_job;
    END IF;
    RETURN existed;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_hold_sweeper() IS
    'Removes the pg_cron job schedule_hold_sweeper created (found by its id in allocator_cron_jobs, never by name): '
    'true if it existed, false if there was none. Another role''s job of the same name is never touched.';
