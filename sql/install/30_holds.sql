
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
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp
AS 'MODULE_PATHNAME', 'create_table_hold';
COMMENT ON FUNCTION @extschema@.create_table_hold(uuid, uuid[], interval, timestamptz, timestamptz, uuid, jsonb, boolean) IS
    'Holds tables for a booking for p_ttl (10 seconds to 1 hour), with the same rules as an assignment; '
    'a hold also conflicts with any other live hold. Expired holds in the way are removed. Returns the hold.';

CREATE FUNCTION @extschema@.confirm_table_hold(
    p_hold_id         uuid,
    p_booking_id      uuid,
    p_idempotency_key text DEFAULT NULL,
    p_assigned_by     uuid DEFAULT NULL)
RETURNS TABLE (table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp
AS 'MODULE_PATHNAME', 'confirm_table_hold';
COMMENT ON FUNCTION @extschema@.confirm_table_hold(uuid, uuid, text, uuid) IS
    'Atomically turns a live hold into assignments (result as assign_tables_atomic_v2) and deletes the hold. '
    'P0002 when the hold is missing or expired, 23514 when it belongs to another booking.';

CREATE FUNCTION @extschema@.release_table_hold(
    p_hold_id    uuid,
    p_booking_id uuid DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp
AS 'MODULE_PATHNAME', 'release_table_hold';
COMMENT ON FUNCTION @extschema@.release_table_hold(uuid, uuid) IS
    'Deletes a hold with its members and mirror rows: true if one was released, false if there was none. '
    'With p_booking_id, refuses (23514) a hold of another booking.';

CREATE FUNCTION @extschema@.sweep_expired_holds(p_limit integer DEFAULT 500)
RETURNS integer
LANGUAGE c VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp
AS 'MODULE_PATHNAME', 'sweep_expired_holds';
COMMENT ON FUNCTION @extschema@.sweep_expired_holds(integer) IS
    'Deletes up to p_limit expired holds, oldest first (FOR UPDATE SKIP LOCKED, so sweepers never collide), '
    'with their mirror rows and one hold.expired event each. Returns how many. Run by pg_cron.';

-- The pg_cron job name the two functions below own.
CREATE FUNCTION @extschema@.hold_sweeper_job_name() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = @extschema@, pg_temp
RETURN 'allocator-hold-sweeper';
COMMENT ON FUNCTION @extschema@.hold_sweeper_job_name() IS
    'Name of the pg_cron job that runs sweep_expired_holds: allocator-hold-sweeper.';

-- pg_cron keeps its objects in the fixed schema "cron"; fail clearly when it is absent.
CREATE FUNCTION @extschema@.require_pg_cron() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = @extschema@, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  DETAIL = pg_catalog.json_build_object('reason', 'pg_cron_missing',
                               'database', pg_catalog.current_database())::text,
                  HINT = 'Set shared_preload_libraries = ''pg_cron'' and cron.database_name in postgresql.conf, '
                         'restart, then CREATE EXTENSION pg_cron in that database. For a database other than '
                         'cron.database_name, run from there: SELECT cron.schedule_in_database('
                         '''allocator-hold-sweeper'', ''* * * * *'', ''SELECT <schema>.sweep_expired_holds()'', '
                         '''<this database>'').';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.require_pg_cron() IS
    'Raises 55000 with set-up instructions unless the pg_cron extension exists in this database.';

CREATE FUNCTION @extschema@.schedule_hold_sweeper(p_schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp AS $$
DECLARE
    command text;
    job_id bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    IF p_schedule IS NULL OR pg_catalog.btrim(p_schedule) = '' THEN
        RAISE EXCEPTION 'p_schedule must be a cron schedule such as ''* * * * *'''
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.json_build_object('reason', 'bad_schedule')::text,
                  HINT = 'pg_cron 1.4 runs at most once a minute: ''* * * * *''.';
    END IF;
    SELECT pg_catalog.format('SELECT %I.sweep_expired_holds()', n.nspname) INTO command
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'allocator';
    -- cron.schedule with a job name replaces that job's schedule, so calling this again is safe.
    -- Dynamic SQL so the extension installs and works without pg_cron.
    BEGIN
        EXECUTE 'SELECT cron.schedule($1, $2, $3)'
           INTO job_id USING @extschema@.hold_sweeper_job_name(), p_schedule, command;
    EXCEPTION WHEN invalid_parameter_value THEN
        -- pg_cron's own message, in our error contract (JSON DETAIL and a HINT)
        RAISE EXCEPTION 'invalid sweeper schedule ''%'': %', p_schedule, SQLERRM
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.json_build_object('reason', 'bad_schedule', 'schedule', p_schedule)::text,
                  HINT = 'Use five cron fields; pg_cron 1.4 runs at most once a minute: ''* * * * *''.';
    END;
    RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.schedule_hold_sweeper(text) IS
    'Registers (or reschedules) the pg_cron job allocator-hold-sweeper running sweep_expired_holds(); returns its job id. '
    'Needs pg_cron in this database (55000 otherwise).';

CREATE FUNCTION @extschema@.unschedule_hold_sweeper()
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp AS $$
DECLARE
    job_id bigint;
BEGIN
    PERFORM @extschema@.require_pg_cron();
    EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1'
       INTO job_id USING @extschema@.hold_sweeper_job_name();
    IF job_id IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' USING job_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.unschedule_hold_sweeper() IS
    'Removes the pg_cron job allocator-hold-sweeper: true if it existed, false if there was none.';
