------------------------------------------------------------------------------------------
-- Alerts (last: reads allocator_telemetry_stats() of 45_telemetry.sql at run time)
------------------------------------------------------------------------------------------

-- allocator_alerts reads each of the four runbook alerts from an internal piece of its own
-- (a value and a detail that says where to look), then compares the values with
-- allocator_alert_thresholds. The pieces are not callable by the API roles.

-- The telemetry worker's counters (allocator_telemetry_stats), and a note on whether it
-- records this database's conflicts at all; an error reading them is a note too.
CREATE FUNCTION @extschema@.allocator_alert_telemetry(OUT stats jsonb, OUT note jsonb)
RETURNS record
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    BEGIN
        SELECT pg_catalog.to_jsonb(s) INTO stats FROM @extschema@.allocator_telemetry_stats() s;
        note := CASE
            WHEN NOT (stats OPERATOR(pg_catalog.->>) 'preloaded')::boolean THEN
                pg_catalog.jsonb_build_object('telemetry', 'not recording',
                    'note', 'allocator is not in shared_preload_libraries, so no telemetry worker '
                            'runs: the allocator''s own conflicts (23P01) and lock timeouts roll back '
                            'with their transaction unrecorded.')
            WHEN NOT coalesce(stats OPERATOR(pg_catalog.->>) 'worker_database'
                              OPERATOR(pg_catalog.=) pg_catalog.current_database()::text, false) THEN
                pg_catalog.jsonb_build_object('telemetry', 'not recording',
                    'note', pg_catalog.format('the telemetry worker writes to database %s (allocator.database_name), '
                            'not to this one: conflicts here are counted as other_database, not recorded',
                            coalesce(stats OPERATOR(pg_catalog.->>) 'worker_database', '(none: no worker is running)')))
            ELSE pg_catalog.jsonb_build_object('telemetry', 'recording') END;
    EXCEPTION WHEN OTHERS THEN
        stats := '{}';
        note := pg_catalog.jsonb_build_object('telemetry', 'unavailable', 'error', SQLERRM);
    END;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alert_telemetry() IS
    'Internal: allocator_telemetry_stats() as jsonb, and a note: telemetry recording, not recording (and why) or unavailable.';

-- allocator.lock_contention: backends waiting for an allocator advisory lock (booking or
-- table lock space) or for a lock on booking_table_assignments.
CREATE FUNCTION @extschema@.allocator_alert_lock_contention(OUT value numeric, OUT detail jsonb)
RETURNS record
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    this_db oid := (SELECT pd.oid FROM pg_catalog.pg_database pd WHERE pd.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());
BEGIN
    WITH spaces AS (
        SELECT * FROM @extschema@.allocator_lock_spaces()
    ),
    waiting AS (
        SELECT l.pid,
               CASE WHEN l.locktype OPERATOR(pg_catalog.=) 'relation' THEN 'relation booking_table_assignments'
                    WHEN l.objsubid OPERATOR(pg_catalog.=) s.booking_lock_space THEN 'booking lock'
                    ELSE 'table lock' END AS waiting_for,
               l.mode
          FROM pg_catalog.pg_locks l, spaces s
         WHERE NOT l.granted AND l.database OPERATOR(pg_catalog.=) this_db
           AND ((l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.objsubid IN (s.booking_lock_space, s.table_lock_space))
             OR (l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.relation OPERATOR(pg_catalog.=) '@extschema@.booking_table_assignments'::regclass))
    ),
    blocked AS (
        SELECT w.pid, pg_catalog.min(w.waiting_for) AS waiting_for, pg_catalog.min(w.mode) AS mode,
               pg_catalog.pg_blocking_pids(w.pid) AS blocking_pids
          FROM waiting w GROUP BY w.pid
    ),
    blockers AS (
        SELECT DISTINCT pg_catalog.unnest(b.blocking_pids) AS pid FROM blocked b
    )
    SELECT pg_catalog.count(*),
           pg_catalog.jsonb_build_object(
               'blocked', coalesce((SELECT pg_catalog.jsonb_agg(x.j ORDER BY x.waited DESC NULLS LAST) FROM (
                   SELECT pg_catalog.jsonb_build_object('pid', b.pid, 'waiting_for', b.waiting_for, 'mode', b.mode,
                              'blocking_pids', pg_catalog.to_jsonb(b.blocking_pids),
                              'waiting_seconds', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) a.state_change)::numeric, 1),
                              'query', pg_catalog.left(a.query, 300)) AS j,
                          pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) a.state_change AS waited
                     FROM blocked b LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) b.pid
                    ORDER BY waited DESC NULLS LAST LIMIT 10) x), '[]'),
               'blockers', coalesce((SELECT pg_catalog.jsonb_agg(x.j ORDER BY x.age DESC NULLS LAST) FROM (
                   SELECT pg_catalog.jsonb_build_object('pid', k.pid, 'state', a.state, 'usename', a.usename,
                              'application_name', a.application_name,
                              'transaction_seconds', pg_catalog.round(extract(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) a.xact_start)::numeric, 1),
                              'query', pg_catalog.left(a.query, 300)) AS j,
                          pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) a.xact_start AS age
                     FROM blockers k LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) k.pid
                    ORDER BY age DESC NULLS LAST LIMIT 10) x), '[]'),
               'look_at', 'SELECT * FROM pg_locks WHERE relation = ''booking_table_assignments''::regclass; '
                          'end a blocker with SELECT pg_cancel_backend(<pid>) or pg_terminate_backend(<pid>)')
      INTO value, detail
      FROM blocked;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alert_lock_contention() IS
    'Internal: allocator.lock_contention: how many backends wait on allocator locks, the longest waiting and their blockers.';

-- allocator.hold_expiry_backlog: expired holds the sweeper has not removed yet, and the
-- sweeper's pg_cron job with its last run.
CREATE FUNCTION @extschema@.allocator_alert_hold_expiry_backlog(OUT value numeric, OUT detail jsonb)
RETURNS record
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    sweeper jsonb;
BEGIN
    SELECT pg_catalog.count(*),
           pg_catalog.jsonb_build_object(
               'oldest', (SELECT pg_catalog.jsonb_build_object('hold_id', o.id, 'booking_id', o.booking_id,
                                     'expires_at', o.expires_at,
                                     'expired_seconds', pg_catalog.round(extract(epoch FROM pg_catalog.now() OPERATOR(pg_catalog.-) o.expires_at)::numeric))
                            FROM @extschema@.table_holds o WHERE o.expires_at OPERATOR(pg_catalog.<) pg_catalog.now()
                           ORDER BY o.expires_at, o.id LIMIT 1),
               'look_at', 'SELECT id, booking_id, expires_at FROM table_holds WHERE expires_at < now() ORDER BY expires_at; '
                          'sweep now with SELECT sweep_expired_holds();')
      INTO value, detail
      FROM @extschema@.table_holds h WHERE h.expires_at OPERATOR(pg_catalog.<) pg_catalog.now();
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
            -- Dynamic: pg_cron is optional.
            EXECUTE $q$
                SELECT pg_catalog.jsonb_build_object('job', j.jobname, 'schedule', j.schedule, 'active', j.active,
                           'database', j.database,
                           'last_run', (SELECT pg_catalog.jsonb_build_object('status', r.status, 'start_time', r.start_time,
                                                                  'return_message', r.return_message)
                                          FROM cron.job_run_details r WHERE r.jobid OPERATOR(pg_catalog.=) j.jobid
                                         ORDER BY r.start_time DESC NULLS LAST LIMIT 1))
                  FROM cron.job j WHERE j.jobname OPERATOR(pg_catalog.=) $1$q$
               INTO sweeper USING @extschema@.hold_sweeper_job_name();
            detail := detail OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', coalesce(sweeper,
                          pg_catalog.jsonb_build_object('job', null, 'note', 'no pg_cron job allocator-hold-sweeper: '
                                                                  'SELECT schedule_hold_sweeper();')));
        ELSE
            detail := detail OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', pg_catalog.jsonb_build_object('job', null,
                          'note', 'pg_cron is not installed in this database; see README (pg_cron)'));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        detail := detail OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', pg_catalog.jsonb_build_object('error', SQLERRM));
    END;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alert_hold_expiry_backlog() IS
    'Internal: allocator.hold_expiry_backlog: how many expired holds wait for the sweeper, the oldest, and the sweeper job.';

-- allocator.rpc_conflict_rate: conflict events (23P01) of the last minute, written by the
-- telemetry worker or by the app in the same shape.
CREATE FUNCTION @extschema@.allocator_alert_rpc_conflict_rate(p_telemetry_note jsonb, OUT value numeric, OUT detail jsonb)
RETURNS record
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
BEGIN
    WITH recent AS (
        SELECT e.source, e.context
          FROM @extschema@.observability_events e
         WHERE e.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 minute')
           AND e.source IN ('capacity.selector', 'capacity.hold')
    )
    SELECT pg_catalog.count(*) FILTER (WHERE r.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code' OPERATOR(pg_catalog.=) '23P01'),
           pg_catalog.jsonb_build_object(
               'window', '1 minute',
               'lock_timeouts', pg_catalog.count(*) FILTER (WHERE r.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code' OPERATOR(pg_catalog.=) '55P03'),
               'by_source', coalesce((SELECT pg_catalog.jsonb_object_agg(s.source, s.n) FROM (
                   SELECT x.source, pg_catalog.count(*) AS n FROM recent x
                    WHERE x.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code' OPERATOR(pg_catalog.=) '23P01' GROUP BY x.source) s), '{}'),
               'top_tables', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('table_id', s.table_id,
                                                 'table_number', ti.table_number, 'conflicts', s.n)
                                             ORDER BY s.n DESC, s.table_id)
                   FROM (SELECT x.context OPERATOR(pg_catalog.->>) 'table_id' AS table_id, pg_catalog.count(*) AS n FROM recent x
                          WHERE x.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code' OPERATOR(pg_catalog.=) '23P01' AND x.context OPERATOR(pg_catalog.?) 'table_id'
                          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) s
                   LEFT JOIN @extschema@.table_inventory ti ON ti.id::text OPERATOR(pg_catalog.=) s.table_id), '[]'),
               'look_at', 'SELECT created_at, source, context->''error''->>''message'' FROM observability_events '
                          'WHERE source IN (''capacity.selector'', ''capacity.hold'') AND context ? ''error'' '
                          'ORDER BY created_at DESC LIMIT 20;')
           OPERATOR(pg_catalog.||) p_telemetry_note
           OPERATOR(pg_catalog.||) CASE WHEN p_telemetry_note OPERATOR(pg_catalog.->>) 'telemetry' OPERATOR(pg_catalog.=) 'recording' THEN '{}'::jsonb
                   ELSE pg_catalog.jsonb_build_object('counts', 'only conflict events the application writes itself') END
      INTO value, detail
      FROM recent r;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alert_rpc_conflict_rate(jsonb) IS
    'Internal: allocator.rpc_conflict_rate: 23P01 conflict events of the last minute, by source and table.';

-- allocator.telemetry_insert_failures: events the telemetry worker failed to write in the
-- last 5 minutes.
CREATE FUNCTION @extschema@.allocator_alert_telemetry_insert_failures(p_telemetry jsonb, p_telemetry_note jsonb,
                                                                       OUT value numeric, OUT detail jsonb)
RETURNS record
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    value := (p_telemetry OPERATOR(pg_catalog.->>) 'recent_insert_failures')::numeric;
    detail := pg_catalog.jsonb_build_object('window', '5 minutes',
                  'insert_failures_total', p_telemetry OPERATOR(pg_catalog.->) 'insert_failures',
                  'last_failure_at', p_telemetry OPERATOR(pg_catalog.->) 'last_failure_at',
                  'last_failure_message', p_telemetry OPERATOR(pg_catalog.->) 'last_failure_message',
                  'pending', p_telemetry OPERATOR(pg_catalog.->) 'pending',
                  'events_written', p_telemetry OPERATOR(pg_catalog.->) 'events_written',
                  'conflicts_recorded', p_telemetry OPERATOR(pg_catalog.->) 'conflicts_recorded',
                  'dropped_total', p_telemetry OPERATOR(pg_catalog.->) 'dropped',
                  'recent_dropped', p_telemetry OPERATOR(pg_catalog.->) 'recent_dropped',
                  'other_database', p_telemetry OPERATOR(pg_catalog.->) 'other_database',
                  'worker_database', p_telemetry OPERATOR(pg_catalog.->) 'worker_database',
                  'look_at', 'SELECT * FROM allocator_telemetry_stats(); the server log has the first failure of every 10 seconds')
              OPERATOR(pg_catalog.||) p_telemetry_note;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alert_telemetry_insert_failures(jsonb, jsonb) IS
    'Internal: allocator.telemetry_insert_failures from allocator_alert_telemetry(): failures of the last 5 minutes.';

CREATE FUNCTION @extschema@.allocator_alerts()
RETURNS TABLE (alert text, value numeric, threshold numeric, firing boolean, detail jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    telemetry jsonb;
    telemetry_note jsonb;
BEGIN
    -- pg_stat_activity is read once per transaction unless told otherwise; an engineer
    -- calling this repeatedly in one psql transaction wants the current state each time.
    PERFORM pg_catalog.pg_stat_clear_snapshot();
    SELECT t.stats, t.note INTO telemetry, telemetry_note FROM @extschema@.allocator_alert_telemetry() t;

    RETURN QUERY
    WITH measured AS (
        SELECT 1 AS n, 'allocator.lock_contention' AS name, m.value, m.detail
          FROM @extschema@.allocator_alert_lock_contention() m
        UNION ALL
        SELECT 2, 'allocator.hold_expiry_backlog', m.value, m.detail
          FROM @extschema@.allocator_alert_hold_expiry_backlog() m
        UNION ALL
        SELECT 3, 'allocator.rpc_conflict_rate', m.value, m.detail
          FROM @extschema@.allocator_alert_rpc_conflict_rate(telemetry_note) m
        UNION ALL
        SELECT 4, 'allocator.telemetry_insert_failures', m.value, m.detail
          FROM @extschema@.allocator_alert_telemetry_insert_failures(telemetry, telemetry_note) m
    )
    -- firing is unknown (false) while a value or its threshold is.
    SELECT m.name, m.value, t.threshold, coalesce(m.value OPERATOR(pg_catalog.>) t.threshold, false), m.detail
      FROM measured m
      LEFT JOIN @extschema@.allocator_alert_thresholds t ON t.alert OPERATOR(pg_catalog.=) m.name
     ORDER BY m.n;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alerts() IS
    'The four runbook alerts, one row each: allocator.lock_contention (backends waiting on allocator locks or on '
    'booking_table_assignments), allocator.hold_expiry_backlog (expired holds not yet swept), '
    'allocator.rpc_conflict_rate (23P01 conflict events in the last minute), allocator.telemetry_insert_failures '
    '(last 5 minutes). firing is value > threshold (allocator_alert_thresholds; false when the value is unknown); detail says where to look.';
