------------------------------------------------------------------------------------------
-- Feature flags (set_allocator_flag rebuilds the mirror, 52_ops_mirror.sql, at run time)
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_flag_names(OUT name text, OUT env_name text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    VALUES ('require_adjacency', 'FEATURE_ALLOCATOR_REQUIRE_ADJACENCY'),
           ('merges_enabled', 'FEATURE_ALLOCATOR_MERGES_ENABLED'),
           ('allocations_dual_write', 'FEATURE_ALLOCATIONS_DUAL_WRITE'),
           ('capacity_check', 'FEATURE_ALLOCATOR_CAPACITY_CHECK'),
           ('auto_assign', 'FEATURE_ALLOCATOR_AUTO_ASSIGN')
$$;
COMMENT ON FUNCTION @extschema@.allocator_flag_names() IS
    'The allocator flags by their short name and by the runbook''s environment-variable name; '
    'set_allocator_flag accepts either.';

CREATE FUNCTION @extschema@.set_allocator_flag(p_name text, p_enabled boolean, p_reason text)
RETURNS @extschema@.allocator_flags
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    flag_name text;
    old_enabled boolean;
    caller jsonb := @extschema@.allocator_caller();
    repair jsonb;
    result @extschema@.allocator_flags;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('set_allocator_flag');
    IF p_name IS NULL OR p_enabled IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_name and p_enabled must not be NULL',
            pg_catalog.jsonb_build_object('reason', 'null_argument'),
            'Example: SELECT * FROM set_allocator_flag(''merges_enabled'', false, ''incident 123: lock contention'');');
    END IF;
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) OPERATOR(pg_catalog.=) '' THEN
        PERFORM @extschema@.allocator_error('22023', 'p_reason must say why the flag changes',
            pg_catalog.jsonb_build_object('reason', 'reason_required', 'flag', p_name),
            'Name the incident or task, e.g. ''incident 123: lock contention''; it is kept in allocator_flags '
            'and in the allocator.flag_changed event.');
    END IF;
    SELECT n.name INTO flag_name FROM @extschema@.allocator_flag_names() n
     WHERE pg_catalog.upper(pg_catalog.btrim(p_name)) IN (pg_catalog.upper(n.name), n.env_name);
    IF flag_name IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', pg_catalog.format('unknown allocator flag %L', p_name),
            pg_catalog.jsonb_build_object('reason', 'unknown_flag', 'flag', p_name),
            'Known flags: ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(n.name OPERATOR(pg_catalog.||) ' (' OPERATOR(pg_catalog.||) n.env_name OPERATOR(pg_catalog.||) ')', ', ')
                                  FROM @extschema@.allocator_flag_names() n) OPERATOR(pg_catalog.||) '.');
    END IF;

    SELECT f.enabled INTO old_enabled FROM @extschema@.allocator_flags f WHERE f.name OPERATOR(pg_catalog.=) flag_name FOR UPDATE;
    -- Every allocator call reads this table, so the change reaches every connection at commit.
    UPDATE @extschema@.allocator_flags f
       SET enabled = p_enabled, reason = p_reason, changed_by = caller OPERATOR(pg_catalog.->>) 'name', changed_at = pg_catalog.now()
     WHERE f.name OPERATOR(pg_catalog.=) flag_name
    RETURNING f.* INTO result;
    IF NOT FOUND THEN  -- the row was deleted by hand: put it back
        INSERT INTO @extschema@.allocator_flags AS f (name, enabled, reason, changed_by, changed_at)
        VALUES (flag_name, p_enabled, p_reason, caller OPERATOR(pg_catalog.->>) 'name', pg_catalog.now())
        RETURNING f.* INTO result;
    END IF;

    -- docs/api.md#set_allocator_flag: turning dual-write back on rebuilds the mirror, which went stale while it was off.
    IF flag_name OPERATOR(pg_catalog.=) 'allocations_dual_write' AND p_enabled AND old_enabled IS DISTINCT FROM true THEN
        SELECT pg_catalog.jsonb_object_agg(r.action, r.rows) INTO repair FROM @extschema@.allocator_repair_mirror() r;
    END IF;

    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.flag_changed', 'warning',
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'flag', flag_name,
                'env_name', (SELECT n.env_name FROM @extschema@.allocator_flag_names() n WHERE n.name OPERATOR(pg_catalog.=) flag_name),
                'old', old_enabled, 'new', p_enabled, 'reason', p_reason,
                'mirror_repair', repair)) OPERATOR(pg_catalog.||) (caller OPERATOR(pg_catalog.-) 'name'));
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.set_allocator_flag(text, boolean, text) IS
    'Sets an allocator flag for every connection at once (short name or runbook name, e.g. merges_enabled or '
    'FEATURE_ALLOCATOR_MERGES_ENABLED) and logs an allocator.flag_changed event with old and new value, reason '
    'and caller. Reverting is the same call. Turning allocations_dual_write on rebuilds the mirror '
    '(allocator_repair_mirror). 22023 for an unknown flag or a missing reason.';

------------------------------------------------------------------------------------------
-- Alert thresholds
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.set_allocator_alert_threshold(p_alert text, p_threshold numeric, p_reason text)
RETURNS @extschema@.allocator_alert_thresholds
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    alert_name text;
    old_threshold numeric;
    caller jsonb := @extschema@.allocator_caller();
    result @extschema@.allocator_alert_thresholds;
BEGIN
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('set_allocator_alert_threshold');
    IF p_alert IS NULL OR p_threshold IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_alert and p_threshold must not be NULL',
            pg_catalog.jsonb_build_object('reason', 'null_argument'),
            'Example: SELECT * FROM set_allocator_alert_threshold(''allocator.rpc_conflict_rate'', 20, ''noisy for 3 days'');');
    END IF;
    -- NaN compares greater than every number (so is never "< 0"), and an alert whose
    -- threshold is NaN or Infinity could never fire.
    IF p_threshold OPERATOR(pg_catalog.<) 0 OR p_threshold OPERATOR(pg_catalog.>) 1000000000 THEN
        PERFORM @extschema@.allocator_error('22023',
            pg_catalog.format('threshold %s is not a number between 0 and 1000000000', p_threshold),
            pg_catalog.jsonb_build_object('reason', 'bad_threshold', 'alert', p_alert, 'threshold', p_threshold::text,
                                          'min', 0, 'max', 1000000000),
            'An alert fires when its value is above the threshold; use 0 to fire on any occurrence.');
    END IF;
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) OPERATOR(pg_catalog.=) '' THEN
        PERFORM @extschema@.allocator_error('22023', 'p_reason must say why the threshold changes',
            pg_catalog.jsonb_build_object('reason', 'reason_required', 'alert', p_alert),
            'Name the incident or task; it is kept in allocator_alert_thresholds and in the '
            'allocator.threshold_changed event.');
    END IF;
    -- "allocator.rpc_conflict_rate" or just "rpc_conflict_rate".
    SELECT t.alert, t.threshold INTO alert_name, old_threshold
      FROM @extschema@.allocator_alert_thresholds t
     WHERE t.alert IN (pg_catalog.lower(pg_catalog.btrim(p_alert)), 'allocator.' OPERATOR(pg_catalog.||) pg_catalog.lower(pg_catalog.btrim(p_alert)))
       FOR UPDATE;
    IF alert_name IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', pg_catalog.format('unknown allocator alert %L', p_alert),
            pg_catalog.jsonb_build_object('reason', 'unknown_alert', 'alert', p_alert),
            'Known alerts: ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(t.alert, ', ' ORDER BY t.alert)
                                   FROM @extschema@.allocator_alert_thresholds t) OPERATOR(pg_catalog.||) '.');
    END IF;

    UPDATE @extschema@.allocator_alert_thresholds t
       SET threshold = p_threshold, reason = p_reason, changed_by = caller OPERATOR(pg_catalog.->>) 'name', changed_at = pg_catalog.now()
     WHERE t.alert OPERATOR(pg_catalog.=) alert_name
    RETURNING t.* INTO result;

    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.threshold_changed', 'warning',
            pg_catalog.jsonb_build_object('alert', alert_name, 'old', old_threshold, 'new', p_threshold, 'reason', p_reason)
            OPERATOR(pg_catalog.||) (caller OPERATOR(pg_catalog.-) 'name'));
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.set_allocator_alert_threshold(text, numeric, text) IS
    'Sets the threshold above which an allocator_alerts() alert fires (e.g. ''allocator.rpc_conflict_rate'' or '
    '''rpc_conflict_rate'') and logs an allocator.threshold_changed event with old and new value, reason and caller. '
    '22023 for an unknown alert, a negative threshold or a missing reason.';
