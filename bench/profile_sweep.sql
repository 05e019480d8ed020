-- Calls sweep_expired_holds until it finds nothing, each call in its own transaction as
-- pg_cron runs it, and says how long that took, and how long the first, the middle and the
-- last call that swept something took (calls that slow down as the backlog shrinks show there).
-- psql -v limit=N passes p_limit; limit=default calls it exactly as the scheduled job does
-- (schedule_hold_sweeper: no argument, 500).
\set ON_ERROR_STOP 1
SELECT set_config('bench.sweep_limit', :'limit', false) \g /dev/null
DO $$
DECLARE
    setting text := current_setting('bench.sweep_limit');
    swept int;
    total bigint := 0;
    call_ms numeric[] := '{}';   -- calls that swept something
    started timestamptz := clock_timestamp();
    call_started timestamptz;
    seconds numeric;
    n int;
BEGIN
    LOOP
        call_started := clock_timestamp();
        -- SELECT ... INTO, not an assignment: PL/pgSQL evaluates `x := f()` as a simple
        -- expression, which pg_stat_statements never sees.
        IF setting = 'default' THEN
            SELECT sweep_expired_holds() INTO swept;
        ELSE
            SELECT sweep_expired_holds(setting::int) INTO swept;
        END IF;
        COMMIT;
        EXIT WHEN swept = 0;
        total := total + swept;
        call_ms := call_ms || round(1000 * extract(epoch FROM clock_timestamp() - call_started), 1);
    END LOOP;
    seconds := extract(epoch FROM clock_timestamp() - started);
    n := cardinality(call_ms);
    RAISE NOTICE 'sweep (p_limit %): % holds in % calls (and one that found none), % s, % holds/s; '
                 'call times: first % ms, middle % ms, last % ms',
        setting, total, n, round(seconds, 2), round(total / nullif(seconds, 0)),
        call_ms[1], call_ms[(n + 1) / 2], call_ms[n];
END
$$;
