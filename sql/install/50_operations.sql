
------------------------------------------------------------------------------------------
-- Operations: what the on-call engineer calls from psql (docs/operations.md, one section
-- per runbook alert). Flags and alert thresholds with an audit trail, the manual context of
-- a booking, the four runbook alerts, an invariant check and the mirror repair.
------------------------------------------------------------------------------------------

-- The SQL side's error helper: SQLSTATE, message, a JSON DETAIL with a "reason", and a
-- HINT, as SPEC section 4 asks of every error; raised by the C++ error reporter, so a
-- PostgREST request gets it in the same PGRST form as the C++ functions' errors.
CREATE FUNCTION @extschema@.allocator_error(p_sqlstate text, p_message text, p_detail jsonb, p_hint text)
RETURNS void
LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'allocator_error';
COMMENT ON FUNCTION @extschema@.allocator_error(text, text, jsonb, text) IS
    'Internal: raises an allocator error (SQLSTATE, message, JSON DETAIL with a reason, HINT).';

-- The allocator's advisory-lock spaces: pg_locks shows its locks as locktype 'advisory' with
-- these objsubid values. Must match kBookingLockSpace / kTableLockSpace in
-- include/allocator/pg/locks.hpp (ops_alerts counts real waiters, so a mismatch fails it).
CREATE FUNCTION @extschema@.allocator_lock_spaces(OUT booking_lock_space integer, OUT table_lock_space integer)
RETURNS record
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 21001, 21002
$$;
COMMENT ON FUNCTION @extschema@.allocator_lock_spaces() IS
    'objsubid of the allocator''s advisory locks in pg_locks: booking locks and table locks. '
    'Example: SELECT * FROM pg_locks WHERE locktype = ''advisory'' AND objsubid IN (SELECT table_lock_space FROM allocator_lock_spaces());';

-- Who is calling, for audit trails: the login role, and the role it switched to (PostgREST
-- logs in as one role and SET ROLEs to another; current_user is the definer here).
CREATE FUNCTION @extschema@.allocator_caller()
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object(
        'session_user', session_user::text,
        'role', pg_catalog.current_setting('role'),
        'name', CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user::text
                     ELSE session_user::text OPERATOR(pg_catalog.||) ' as ' OPERATOR(pg_catalog.||) pg_catalog.current_setting('role') END)
$$;
COMMENT ON FUNCTION @extschema@.allocator_caller() IS
    'Internal: the caller for audit trails: {"session_user", "role" (SET ROLE, or none), "name"}.';

------------------------------------------------------------------------------------------
-- Feature flags
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_flag_names(OUT name text, OUT env_name text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    VALUES ('require_adjacency', 'FEATURE_ALLOCATOR_REQUIRE_ADJACENCY'),
           ('merges_enabled', 'FEATURE_ALLOCATOR_MERGES_ENABLED'),
           ('allocations_dual_write', 'FEATURE_ALLOCATIONS_DUAL_WRITE'),
           ('capacity_check', 'FEATURE_ALLOCATOR_CAPACITY_CHECK')
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

    -- SPEC: turning dual-write back on rebuilds the mirror, which went stale while it was off.
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

------------------------------------------------------------------------------------------
-- The allocations mirror: what it should hold, how it differs, how to rebuild it
------------------------------------------------------------------------------------------

-- jit = off on the functions below that read whole tables: their plans cost enough to be
-- JIT-compiled on a large install, which takes longer (a second and more) than running them.

-- The one definition of "the mirror is right", shared by allocator_verify (which reports it)
-- and allocator_repair_mirror (which fixes it). Expected rows, from the sources:
--   table        one per assignment (booking, booking's restaurant, table, window, assignment_id)
--   merge_group  one per merge group (its booking, restaurant, group id, window of its tables)
--   hold         one per table of each hold (hold's booking, restaurant, table, window, hold_id);
--                required only while the hold is live, tolerated until the sweeper removes it
-- Shadow rows are not the allocator's and are left alone. A row that mirrors its source with
-- a wrong booking, table or window counts as extra, and its source as missing.
CREATE FUNCTION @extschema@.allocator_mirror_drift()
RETURNS TABLE (problem text, resource_type text, allocation_id uuid, booking_id uuid, restaurant_id uuid,
               resource_id uuid, "window" tstzrange, created_by uuid, assignment_id uuid, hold_id uuid, detail jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
WITH expected AS (
    SELECT 'table' AS resource_type, a.id AS source_id, a.booking_id, b.restaurant_id, a.table_id AS resource_id,
           pg_catalog.tstzrange(a.start_at, a.end_at, '[)') AS "window", a.assigned_by AS created_by,
           a.id AS assignment_id, NULL::uuid AS hold_id, true AS required
      FROM @extschema@.booking_table_assignments a
      JOIN @extschema@.bookings b ON b.id OPERATOR(pg_catalog.=) a.booking_id
    UNION ALL
    SELECT 'merge_group', g.merge_group_id, g.booking_id, b.restaurant_id, g.merge_group_id,
           pg_catalog.tstzrange(pg_catalog.min(g.start_at), pg_catalog.max(g.end_at), '[)'), (pg_catalog.array_agg(g.assigned_by ORDER BY g.assigned_at))[1],
           NULL, NULL, true
      FROM @extschema@.booking_table_assignments g
      JOIN @extschema@.bookings b ON b.id OPERATOR(pg_catalog.=) g.booking_id
     WHERE g.merge_group_id IS NOT NULL
     GROUP BY g.merge_group_id, g.booking_id, b.restaurant_id
    UNION ALL
    SELECT DISTINCT 'hold', h.id, h.booking_id, h.restaurant_id, t.table_id,
           pg_catalog.tstzrange(h.start_at, h.end_at, '[)'), h.created_by, NULL::uuid, h.id, h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
      FROM @extschema@.table_holds h, pg_catalog.unnest(h.table_ids) AS t(table_id)
),
actual AS (
    SELECT m.*, CASE m.resource_type WHEN 'table' THEN m.assignment_id
                                     WHEN 'hold' THEN m.hold_id
                                     ELSE m.resource_id END AS source_id
      FROM @extschema@.allocations m
     WHERE NOT m.shadow
),
-- Each actual row matched to the expected row it mirrors exactly; the first of several
-- copies is the mirror, the others are extra.
matched AS (
    SELECT m.id, e.resource_type, e.source_id, e.resource_id, e.booking_id,
           pg_catalog.row_number() OVER (PARTITION BY e.resource_type, e.source_id, e.resource_id, e.booking_id
                              ORDER BY m.created_at, m.id) AS copy
      FROM actual m
      JOIN expected e ON e.resource_type OPERATOR(pg_catalog.=) m.resource_type AND e.source_id OPERATOR(pg_catalog.=) m.source_id
                     AND e.resource_id OPERATOR(pg_catalog.=) m.resource_id
     WHERE e.booking_id IS NOT DISTINCT FROM m.booking_id AND e.restaurant_id OPERATOR(pg_catalog.=) m.restaurant_id
       AND e."window" OPERATOR(pg_catalog.=) m."window" AND e.assignment_id IS NOT DISTINCT FROM m.assignment_id
       AND e.hold_id IS NOT DISTINCT FROM m.hold_id
)
SELECT 'mirror_missing', e.resource_type, NULL::uuid, e.booking_id, e.restaurant_id, e.resource_id, e."window",
       e.created_by, e.assignment_id, e.hold_id,
       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'resource_type', e.resource_type, 'booking_id', e.booking_id, 'resource_id', e.resource_id,
           'start_at', pg_catalog.lower(e."window"), 'end_at', pg_catalog.upper(e."window"), 'assignment_id', e.assignment_id,
           'hold_id', e.hold_id))
  FROM expected e
  LEFT JOIN matched x
    ON x.resource_type OPERATOR(pg_catalog.=) e.resource_type AND x.source_id OPERATOR(pg_catalog.=) e.source_id AND x.resource_id OPERATOR(pg_catalog.=) e.resource_id
   AND x.booking_id IS NOT DISTINCT FROM e.booking_id AND x.copy OPERATOR(pg_catalog.=) 1
 WHERE e.required AND x.id IS NULL
UNION ALL
SELECT 'mirror_extra', m.resource_type, m.id, m.booking_id, m.restaurant_id, m.resource_id, m."window",
       m.created_by, m.assignment_id, m.hold_id,
       pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'allocation_id', m.id, 'resource_type', m.resource_type, 'booking_id', m.booking_id,
           'resource_id', m.resource_id, 'start_at', pg_catalog.lower(m."window"), 'end_at', pg_catalog.upper(m."window"),
           'assignment_id', m.assignment_id, 'hold_id', m.hold_id,
           'why', CASE WHEN x.id IS NOT NULL THEN 'duplicate'
                       WHEN s.source_id IS NOT NULL THEN 'differs_from_source'
                       ELSE 'no_source' END))
  FROM actual m
  LEFT JOIN matched x ON x.id OPERATOR(pg_catalog.=) m.id
  LEFT JOIN (SELECT DISTINCT e.resource_type, e.source_id FROM expected e) s
    ON s.resource_type OPERATOR(pg_catalog.=) m.resource_type AND s.source_id OPERATOR(pg_catalog.=) m.source_id
 WHERE x.id IS NULL OR x.copy OPERATOR(pg_catalog.>) 1
$$;
COMMENT ON FUNCTION @extschema@.allocator_mirror_drift() IS
    'How the allocations mirror differs from what assignments and holds say it should hold: mirror_missing rows '
    '(what to insert) and mirror_extra rows (allocation_id to delete). Shadow rows are ignored. '
    'Read by allocator_verify and allocator_repair_mirror.';

-- Locking (why not just LOCK TABLE booking_table_assignments, table_holds IN SHARE MODE):
--   * The mirror changes only in statements that also write booking_table_assignments or
--     table_holds (assign, unassign, confirm, create/release/sweep holds, booking deletion's
--     cascade). A lock that conflicts with ROW EXCLUSIVE on both tables therefore waits for
--     every writer in flight to commit and keeps new ones out, so the diff below is computed
--     and applied on a state nobody else is changing. Readers are not blocked.
--   * SHARE ROW EXCLUSIVE rather than SHARE: it also conflicts with itself, so two repairs
--     cannot both insert the same missing rows.
--   * The allocator's own advisory locks cannot be taken from SQL (pg_advisory_* use lock
--     spaces 1 and 2, the allocator its own: allocator_lock_spaces()), so relation locks it is.
--   * One LOCK statement for both tables can deadlock: it takes them one after the other and
--     waits while holding the first, and writers touch them in either order (confirm_table_hold
--     writes table_holds, then booking_table_assignments; an app transaction may release a
--     hold and then assign, or assign and then hold). Tried: LOCK TABLE
--     booking_table_assignments, table_holds IN SHARE MODE against release_table_hold +
--     unassign_tables_atomic in one transaction ends in 40P01. So: wait for one table while
--     holding nothing else, try the other with NOWAIT, and if that fails roll both back and
--     start with the other table. The repair never waits while holding a lock a writer wants,
--     so it can never be part of a deadlock cycle; writers queued behind its wait are a soft
--     edge the deadlock detector reorders. Writers are blocked only while the repair runs (two statements) and while it
--     waits, which is bounded: at most 1 s per table (less if the session's lock_timeout is
--     shorter), then 55P03 naming the pids in the way.
--   * READ COMMITTED only: each statement after the locks must see every writer that committed
--     before them. Under REPEATABLE READ the snapshot predates the locks.
CREATE FUNCTION @extschema@.allocator_repair_mirror()
RETURNS TABLE (action text, rows bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    attempt integer := 0;
    holds_first boolean := true;
    waiting_for text;
    saved_lock_timeout text;
    counts jsonb;
    dual_write boolean;
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        PERFORM @extschema@.allocator_error('25000',
            pg_catalog.format('allocator_repair_mirror needs READ COMMITTED, not %s', pg_catalog.current_setting('transaction_isolation')),
            pg_catalog.jsonb_build_object('reason', 'isolation_level', 'isolation', pg_catalog.current_setting('transaction_isolation')),
            'Run SELECT * FROM allocator_repair_mirror(); in its own transaction at the default isolation level.');
    END IF;

    -- Waiting for a table queues every new writer of it behind us: bound the wait (the
    -- session's lock_timeout if shorter), so a transaction left open on a table (idle in
    -- transaction) costs writers a second, not an outage.
    saved_lock_timeout := pg_catalog.current_setting('lock_timeout');
    PERFORM pg_catalog.set_config('lock_timeout',
                       least(1000, nullif((SELECT s.setting::int FROM pg_catalog.pg_settings s
                                            WHERE s.name OPERATOR(pg_catalog.=) 'lock_timeout'), 0))::text OPERATOR(pg_catalog.||) 'ms',
                       true);
    LOOP
        attempt := attempt OPERATOR(pg_catalog.+) 1;
        BEGIN
            waiting_for := CASE WHEN holds_first THEN 'table_holds' ELSE 'booking_table_assignments' END;
            IF holds_first THEN
                LOCK TABLE @extschema@.table_holds IN SHARE ROW EXCLUSIVE MODE;
                waiting_for := NULL;
                LOCK TABLE @extschema@.booking_table_assignments IN SHARE ROW EXCLUSIVE MODE NOWAIT;
            ELSE
                LOCK TABLE @extschema@.booking_table_assignments IN SHARE ROW EXCLUSIVE MODE;
                waiting_for := NULL;
                LOCK TABLE @extschema@.table_holds IN SHARE ROW EXCLUSIVE MODE NOWAIT;
            END IF;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            IF waiting_for IS NOT NULL OR attempt OPERATOR(pg_catalog.>=) 20 THEN
                waiting_for := coalesce(waiting_for, 'booking_table_assignments and table_holds');
                PERFORM @extschema@.allocator_error('55P03',
                    pg_catalog.format('allocator_repair_mirror could not lock %s within %s', waiting_for,
                           pg_catalog.current_setting('lock_timeout')),
                    pg_catalog.jsonb_build_object('reason', 'lock_timeout', 'table', waiting_for, 'attempts', attempt,
                        'blocking_pids', (SELECT coalesce(pg_catalog.jsonb_agg(DISTINCT l.pid ORDER BY l.pid), '[]')
                                            FROM pg_catalog.pg_locks l
                                           WHERE l.granted AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()
                                             AND l.relation IN ('@extschema@.table_holds'::regclass,
                                                                '@extschema@.booking_table_assignments'::regclass)
                                             AND l.mode NOT IN ('AccessShareLock', 'RowShareLock'))),
                    'A transaction keeps writing these tables (idle in transaction?): look the blocking pids up in '
                    'pg_stat_activity, then retry. allocator_verify() shows what is wrong meanwhile.');
            END IF;
            holds_first := NOT holds_first;
        END;
    END LOOP;
    PERFORM pg_catalog.set_config('lock_timeout', saved_lock_timeout, true);

    WITH drift AS (
        SELECT * FROM @extschema@.allocator_mirror_drift()
    ),
    removed AS (
        DELETE FROM @extschema@.allocations m
         USING drift d
         WHERE d.problem OPERATOR(pg_catalog.=) 'mirror_extra' AND m.id OPERATOR(pg_catalog.=) d.allocation_id
        RETURNING m.resource_type
    ),
    added AS (
        INSERT INTO @extschema@.allocations
            (booking_id, restaurant_id, resource_type, resource_id, "window", created_by, assignment_id, hold_id)
        SELECT d.booking_id, d.restaurant_id, d.resource_type, d.resource_id, d."window", d.created_by,
               d.assignment_id, d.hold_id
          FROM drift d
         WHERE d.problem OPERATOR(pg_catalog.=) 'mirror_missing'
        RETURNING resource_type
    ),
    changes AS (
        SELECT 'added' AS what, a.resource_type FROM added a
        UNION ALL
        SELECT 'removed', r.resource_type FROM removed r
    )
    SELECT pg_catalog.jsonb_object_agg(w.what OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) t.resource_type,
                            (SELECT pg_catalog.count(*) FROM changes c WHERE c.what OPERATOR(pg_catalog.=) w.what AND c.resource_type OPERATOR(pg_catalog.=) t.resource_type))
      INTO counts
      FROM (VALUES ('added'), ('removed')) AS w(what)
     CROSS JOIN (VALUES ('table'), ('merge_group'), ('hold')) AS t(resource_type);

    SELECT f.enabled INTO dual_write FROM @extschema@.allocator_flags f WHERE f.name OPERATOR(pg_catalog.=) 'allocations_dual_write';
    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.mirror_repaired',
            CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.jsonb_each(counts) c WHERE c.value::bigint OPERATOR(pg_catalog.>) 0) THEN 'warning' ELSE 'info' END,
            pg_catalog.jsonb_build_object('changes', counts, 'dual_write', dual_write) OPERATOR(pg_catalog.||) (@extschema@.allocator_caller() OPERATOR(pg_catalog.-) 'name'));

    RETURN QUERY
    SELECT k.key, (counts OPERATOR(pg_catalog.->>) k.key)::bigint
      FROM pg_catalog.unnest(ARRAY['added table', 'added merge_group', 'added hold',
                        'removed table', 'removed merge_group', 'removed hold']) WITH ORDINALITY AS k(key, n)
     ORDER BY k.n;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_repair_mirror() IS
    'Rebuilds the allocations mirror from assignments and live holds, safely while traffic runs: waits for '
    'writers in flight, blocks new ones for the two statements it takes, never deadlocks with them. Returns the rows '
    'added and removed per resource type and logs an allocator.mirror_repaired event. Shadow rows are left alone.';

------------------------------------------------------------------------------------------
-- Invariants
------------------------------------------------------------------------------------------

-- One statement, so every check reads the same snapshot.
CREATE FUNCTION @extschema@.allocator_verify()
RETURNS TABLE (problem text, detail jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
SELECT p.problem, p.detail FROM (
    -- Impossible while the exclusion constraint stands.
    SELECT 'overlapping_assignments' AS problem,
           pg_catalog.jsonb_build_object('table_id', a.table_id,
                              'assignment_id', a.id, 'booking_id', a.booking_id,
                              'start_at', a.start_at, 'end_at', a.end_at,
                              'other_assignment_id', o.id, 'other_booking_id', o.booking_id,
                              'other_start_at', o.start_at, 'other_end_at', o.end_at) AS detail
      FROM @extschema@.booking_table_assignments a
      JOIN @extschema@.booking_table_assignments o
        ON o.table_id OPERATOR(pg_catalog.=) a.table_id AND (a.start_at, a.id) OPERATOR(pg_catalog.<) (o.start_at, o.id)
       AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(o.start_at, o.end_at, '[)')
    UNION ALL
    -- The mirror is kept only while dual-write is on.
    SELECT d.problem, d.detail
      FROM @extschema@.allocator_mirror_drift() d
     WHERE (SELECT f.enabled FROM @extschema@.allocator_flags f WHERE f.name OPERATOR(pg_catalog.=) 'allocations_dual_write')
    UNION ALL
    -- Impossible while the foreign key stands.
    SELECT 'orphan_hold_member',
           pg_catalog.jsonb_build_object('hold_id', m.hold_id, 'table_id', m.table_id,
                              'start_at', m.start_at, 'end_at', m.end_at)
      FROM @extschema@.table_hold_members m
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.table_holds h WHERE h.id OPERATOR(pg_catalog.=) m.hold_id)
    UNION ALL
    -- A hold's member rows (what the exclusion constraint and conflict checks see) are its
    -- table_ids for its window.
    SELECT 'hold_members_mismatch',
           pg_catalog.jsonb_build_object('hold_id', h.id, 'booking_id', h.booking_id, 'table_ids', h.table_ids,
                              'start_at', h.start_at, 'end_at', h.end_at,
                              'members', coalesce(mem.members, '[]'))
      FROM @extschema@.table_holds h
      LEFT JOIN LATERAL (
          SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('table_id', m.table_id, 'start_at', m.start_at, 'end_at', m.end_at)
                           ORDER BY m.table_id)
                     AS members,
                 pg_catalog.bool_and(m.start_at OPERATOR(pg_catalog.=) h.start_at AND m.end_at OPERATOR(pg_catalog.=) h.end_at) AS same_window,
                 pg_catalog.array_agg(m.table_id ORDER BY m.table_id) AS tables
            FROM @extschema@.table_hold_members m
           WHERE m.hold_id OPERATOR(pg_catalog.=) h.id) mem ON true
     WHERE mem.tables IS NULL OR NOT mem.same_window
        OR mem.tables IS DISTINCT FROM (SELECT pg_catalog.array_agg(DISTINCT t ORDER BY t) FROM pg_catalog.unnest(h.table_ids) AS t)
    UNION ALL
    -- A ledger row lives as long as the assignment it produced.
    SELECT 'orphan_ledger_row',
           pg_catalog.jsonb_build_object('booking_id', l.booking_id, 'idempotency_key', l.idempotency_key,
                              'table_ids', l.table_ids,
                              'unassigned_table_ids',
                              (SELECT pg_catalog.jsonb_agg(t) FROM pg_catalog.unnest(l.table_ids) AS t
                                WHERE NOT EXISTS (SELECT 1 FROM @extschema@.booking_table_assignments a
                                                   WHERE a.booking_id OPERATOR(pg_catalog.=) l.booking_id AND a.table_id OPERATOR(pg_catalog.=) t)))
      FROM @extschema@.booking_assignment_idempotency l
     WHERE EXISTS (SELECT 1 FROM pg_catalog.unnest(l.table_ids) AS t
                    WHERE NOT EXISTS (SELECT 1 FROM @extschema@.booking_table_assignments a
                                       WHERE a.booking_id OPERATOR(pg_catalog.=) l.booking_id AND a.table_id OPERATOR(pg_catalog.=) t))
    UNION ALL
    -- Assign refuses tables under another booking's live hold and holds refuse assigned
    -- tables, but no constraint spans the two tables: this is the check.
    SELECT 'hold_overlaps_assignment',
           pg_catalog.jsonb_build_object('hold_id', h.id, 'hold_booking_id', h.booking_id, 'table_id', m.table_id,
                              'hold_start_at', m.start_at, 'hold_end_at', m.end_at, 'expires_at', h.expires_at,
                              'assignment_id', a.id, 'booking_id', a.booking_id,
                              'start_at', a.start_at, 'end_at', a.end_at)
      FROM @extschema@.table_hold_members m
      JOIN @extschema@.table_holds h ON h.id OPERATOR(pg_catalog.=) m.hold_id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
      JOIN @extschema@.booking_table_assignments a
        ON a.table_id OPERATOR(pg_catalog.=) m.table_id AND a.booking_id IS DISTINCT FROM h.booking_id
       AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(m.start_at, m.end_at, '[)')
    UNION ALL
    -- bookings.assigned_zone_id is the zone of the booking's tables, and NULL without tables.
    SELECT 'zone_pin_inconsistent',
           pg_catalog.jsonb_build_object('booking_id', b.id, 'assigned_zone_id', b.assigned_zone_id,
                              'table_zone_ids', pg_catalog.to_jsonb(z.zone_ids),
                              'why', CASE WHEN z.zone_ids IS NULL THEN 'pinned_without_assignments'
                                          WHEN b.assigned_zone_id IS NULL THEN 'assigned_but_not_pinned'
                                          ELSE 'pinned_to_other_zone' END)
      FROM @extschema@.bookings b
      LEFT JOIN (SELECT a.booking_id, pg_catalog.array_agg(DISTINCT ti.zone_id ORDER BY ti.zone_id) AS zone_ids
                   FROM @extschema@.booking_table_assignments a
                   JOIN @extschema@.table_inventory ti ON ti.id OPERATOR(pg_catalog.=) a.table_id
                  GROUP BY a.booking_id) z ON z.booking_id OPERATOR(pg_catalog.=) b.id
     WHERE (z.zone_ids IS NULL AND b.assigned_zone_id IS NOT NULL)
        OR (z.zone_ids IS NOT NULL AND z.zone_ids IS DISTINCT FROM ARRAY[b.assigned_zone_id])
) p
ORDER BY p.problem, p.detail::text
$$;
COMMENT ON FUNCTION @extschema@.allocator_verify() IS
    'Checks the allocator''s invariants; no rows when all hold. One row per problem: overlapping_assignments, '
    'mirror_missing / mirror_extra (while allocations_dual_write is on), orphan_hold_member, hold_members_mismatch, '
    'orphan_ledger_row, hold_overlaps_assignment, zone_pin_inconsistent; detail names the rows. '
    'allocator_repair_mirror() fixes the mirror ones.';

------------------------------------------------------------------------------------------
-- Manual context: what the staff UI shows for one booking
------------------------------------------------------------------------------------------


CREATE FUNCTION @extschema@.manual_context(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    booking @extschema@.bookings;
    booking_window tstzrange;
    result jsonb;
BEGIN
    IF p_booking_id IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_booking_id must not be NULL',
            pg_catalog.jsonb_build_object('reason', 'null_argument', 'argument', 'p_booking_id'),
            'Pass the booking''s id: SELECT manual_context(''<booking-id>'');');
    END IF;
    SELECT * INTO booking FROM @extschema@.bookings b WHERE b.id OPERATOR(pg_catalog.=) p_booking_id;
    IF NOT FOUND THEN
        PERFORM @extschema@.allocator_error('P0002', pg_catalog.format('booking %s does not exist', p_booking_id),
            pg_catalog.jsonb_build_object('reason', 'booking_not_found', 'booking_id', p_booking_id),
            'Check the booking id against bookings.');
    END IF;
    PERFORM @extschema@.allocator_require_access(booking.restaurant_id);

    booking_window := pg_catalog.tstzrange(booking.start_at, booking.end_at, '[)');

    WITH mine AS (
        SELECT a.*, ti.table_number, ti.zone_id, ti.capacity, ti.active, ti.status
          FROM @extschema@.booking_table_assignments a
          JOIN @extschema@.table_inventory ti ON ti.id OPERATOR(pg_catalog.=) a.table_id
         WHERE a.booking_id OPERATOR(pg_catalog.=) booking.id
    ),
    -- The booking's own holds (live or awaiting the sweeper) and the live holds of others
    -- whose window touches the booking's.
    holds AS (
        SELECT h.*, h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() AS live, h.booking_id IS NOT DISTINCT FROM booking.id AS is_mine
          FROM @extschema@.table_holds h
         WHERE h.booking_id OPERATOR(pg_catalog.=) booking.id
            OR (h.restaurant_id OPERATOR(pg_catalog.=) booking.restaurant_id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
                AND pg_catalog.tstzrange(h.start_at, h.end_at, '[)') OPERATOR(pg_catalog.&&) booking_window)
    ),
    tables AS (
        SELECT ti.*, z.name AS zone_name, blk.blockers,
               EXISTS (SELECT 1 FROM mine a WHERE a.table_id OPERATOR(pg_catalog.=) ti.id) AS assigned,
               (SELECT h.id FROM holds h WHERE h.is_mine AND h.live AND ti.id OPERATOR(pg_catalog.=) ANY (h.table_ids) LIMIT 1) AS own_hold
          FROM @extschema@.table_inventory ti
          JOIN @extschema@.zones z ON z.id OPERATOR(pg_catalog.=) ti.zone_id
          -- Per table, one probe of each exclusion constraint's GiST index (table, window).
          LEFT JOIN LATERAL (
              SELECT pg_catalog.jsonb_agg(x.blocker ORDER BY x.sort) AS blockers FROM (
                  SELECT 0 AS sort, pg_catalog.jsonb_build_object('type', 'table_unavailable',
                             'reason', CASE WHEN NOT ti.active THEN 'inactive' ELSE 'out_of_service' END) AS blocker
                   WHERE NOT ti.active OR ti.status OPERATOR(pg_catalog.=) 'out_of_service'
                  UNION ALL
                  SELECT 1, pg_catalog.jsonb_build_object('type', 'assignment', 'booking_id', a.booking_id,
                             'start_at', a.start_at, 'end_at', a.end_at)
                    FROM @extschema@.booking_table_assignments a
                   WHERE a.table_id OPERATOR(pg_catalog.=) ti.id AND a.booking_id OPERATOR(pg_catalog.<>) booking.id
                     AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) booking_window
                  UNION ALL
                  SELECT 2, pg_catalog.jsonb_build_object('type', 'hold', 'hold_id', h.id, 'booking_id', h.booking_id,
                             'start_at', m.start_at, 'end_at', m.end_at, 'expires_at', h.expires_at)
                    FROM @extschema@.table_hold_members m
                    JOIN @extschema@.table_holds h ON h.id OPERATOR(pg_catalog.=) m.hold_id
                   WHERE m.table_id OPERATOR(pg_catalog.=) ti.id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() AND h.booking_id IS DISTINCT FROM booking.id
                     AND pg_catalog.tstzrange(m.start_at, m.end_at, '[)') OPERATOR(pg_catalog.&&) booking_window
              ) x) blk ON true
         WHERE ti.restaurant_id OPERATOR(pg_catalog.=) booking.restaurant_id
    ),
    conflicts AS (
        -- Another booking's live hold on a table this booking is assigned, in its window.
        SELECT pg_catalog.jsonb_build_object('type', 'held_by_other_booking', 'table_id', a.table_id,
                   'table_number', a.table_number, 'hold_id', h.id, 'booking_id', h.booking_id,
                   'start_at', m.start_at, 'end_at', m.end_at, 'expires_at', h.expires_at) AS c
          FROM mine a
          JOIN @extschema@.table_hold_members m
            ON m.table_id OPERATOR(pg_catalog.=) a.table_id
           AND pg_catalog.tstzrange(m.start_at, m.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(a.start_at, a.end_at, '[)')
          JOIN @extschema@.table_holds h
            ON h.id OPERATOR(pg_catalog.=) m.hold_id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() AND h.booking_id IS DISTINCT FROM booking.id
        UNION ALL
        -- This booking's live hold on a table another booking is assigned.
        SELECT pg_catalog.jsonb_build_object('type', 'hold_overlaps_assignment', 'table_id', m.table_id,
                   'hold_id', h.id, 'booking_id', a.booking_id, 'start_at', a.start_at, 'end_at', a.end_at)
          FROM holds h
          JOIN @extschema@.table_hold_members m ON m.hold_id OPERATOR(pg_catalog.=) h.id
          JOIN @extschema@.booking_table_assignments a
            ON a.table_id OPERATOR(pg_catalog.=) m.table_id AND a.booking_id OPERATOR(pg_catalog.<>) booking.id
           AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(m.start_at, m.end_at, '[)')
         WHERE h.is_mine AND h.live
        UNION ALL
        -- The booking was moved after it was seated: its tables are held for the old window.
        SELECT pg_catalog.jsonb_build_object('type', 'window_mismatch', 'table_id', a.table_id, 'table_number', a.table_number,
                   'start_at', a.start_at, 'end_at', a.end_at,
                   'booking_start_at', booking.start_at, 'booking_end_at', booking.end_at)
          FROM mine a
         WHERE a.start_at OPERATOR(pg_catalog.<>) booking.start_at OR a.end_at OPERATOR(pg_catalog.<>) booking.end_at
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('type', 'table_unavailable', 'table_id', a.table_id, 'table_number', a.table_number,
                   'reason', CASE WHEN NOT a.active THEN 'inactive' ELSE 'out_of_service' END)
          FROM mine a
         WHERE NOT a.active OR a.status OPERATOR(pg_catalog.=) 'out_of_service'
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('type', 'capacity_short', 'seats', pg_catalog.sum(a.capacity), 'party_size', booking.party_size)
          FROM mine a
        HAVING pg_catalog.sum(a.capacity) OPERATOR(pg_catalog.<) booking.party_size
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('type', 'zone_pin_inconsistent', 'assigned_zone_id', booking.assigned_zone_id,
                   'table_zone_ids', (SELECT pg_catalog.jsonb_agg(DISTINCT a.zone_id) FROM mine a))
         WHERE (booking.assigned_zone_id IS NULL) OPERATOR(pg_catalog.=) EXISTS (SELECT 1 FROM mine)
            OR EXISTS (SELECT 1 FROM mine a WHERE a.zone_id OPERATOR(pg_catalog.<>) booking.assigned_zone_id)
        UNION ALL
        -- A cancelled or no-show booking still occupying tables.
        SELECT pg_catalog.jsonb_build_object('type', 'booking_not_assignable', 'status', booking.status,
                   'assigned_tables', (SELECT pg_catalog.count(*) FROM mine),
                   'live_holds', (SELECT pg_catalog.count(*) FROM holds h WHERE h.is_mine AND h.live))
         WHERE booking.status IN ('cancelled', 'no_show')
           AND (EXISTS (SELECT 1 FROM mine) OR EXISTS (SELECT 1 FROM holds h WHERE h.is_mine AND h.live))
    )
    SELECT pg_catalog.jsonb_build_object(
        'booking', pg_catalog.to_jsonb(booking)
                   OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('assigned_zone_name',
                          (SELECT z.name FROM @extschema@.zones z WHERE z.id OPERATOR(pg_catalog.=) booking.assigned_zone_id)),
        'tables', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                       'table_id', t.id, 'table_number', t.table_number, 'zone_id', t.zone_id, 'zone_name', t.zone_name,
                       'capacity', t.capacity, 'mobility', t.mobility, 'active', t.active, 'status', t.status,
                       'assigned_to_booking', t.assigned, 'held_for_booking', t.own_hold,
                       'free', t.blockers IS NULL, 'blocked_by', coalesce(t.blockers, '[]'))
                       ORDER BY t.zone_name, t.table_number), '[]')
                     FROM tables t),
        'holds', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'hold_id', h.id, 'booking_id', h.booking_id, 'for_this_booking', h.is_mine, 'live', h.live,
                      'table_ids', pg_catalog.to_jsonb(h.table_ids),
                      'table_numbers', (SELECT pg_catalog.jsonb_agg(ti.table_number ORDER BY ti.table_number)
                                          FROM @extschema@.table_inventory ti WHERE ti.id OPERATOR(pg_catalog.=) ANY (h.table_ids)),
                      'zone_id', h.zone_id, 'start_at', h.start_at, 'end_at', h.end_at, 'expires_at', h.expires_at,
                      'created_by', h.created_by, 'metadata', h.metadata)
                      ORDER BY h.expires_at, h.id), '[]')
                    FROM holds h),
        'assignments', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                            'table_id', a.table_id, 'table_number', a.table_number, 'zone_id', a.zone_id,
                            'capacity', a.capacity, 'start_at', a.start_at, 'end_at', a.end_at,
                            'merge_group_id', a.merge_group_id, 'idempotency_key', a.idempotency_key,
                            'assigned_by', a.assigned_by, 'assigned_at', a.assigned_at,
                            'mirrored', EXISTS (SELECT 1 FROM @extschema@.allocations m
                                                 WHERE m.assignment_id OPERATOR(pg_catalog.=) a.id AND NOT m.shadow))
                            ORDER BY a.table_number), '[]')
                          FROM mine a),
        'conflicts', (SELECT coalesce(pg_catalog.jsonb_agg(c.c ORDER BY c.c OPERATOR(pg_catalog.->>) 'type', c.c OPERATOR(pg_catalog.->>) 'table_number', c.c::text), '[]')
                        FROM conflicts c),
        -- What the allocator refused this booking lately (telemetry or the app's own events).
        'conflict_events', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                'created_at', e.created_at, 'source', e.source, 'event_type', e.event_type,
                                'code', e.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code', 'message', e.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'message',
                                'function', e.context OPERATOR(pg_catalog.->>) 'function', 'table_id', e.context OPERATOR(pg_catalog.->>) 'table_id',
                                'conflicting_booking_id', e.context OPERATOR(pg_catalog.->>) 'conflicting_booking_id',
                                'hold_id', e.context OPERATOR(pg_catalog.->>) 'hold_id') ORDER BY e.created_at DESC, e.id DESC), '[]')
                              FROM (SELECT * FROM @extschema@.observability_events e
                                     WHERE e.booking_id OPERATOR(pg_catalog.=) booking.id AND e.context OPERATOR(pg_catalog.?) 'error'
                                     ORDER BY e.created_at DESC, e.id DESC LIMIT 20) e),
        'flags', (SELECT pg_catalog.jsonb_object_agg(f.name, f.enabled ORDER BY f.name) FROM @extschema@.allocator_flags f),
        'generated_at', pg_catalog.now())
      INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.manual_context(uuid) IS
    'What the staff UI shows for a booking, as jsonb: booking; tables (every table of its restaurant with zone, '
    'capacity, mobility, status, free for the booking''s window or blocked_by which assignment / hold); holds '
    '(the booking''s, and live holds touching its window); assignments; conflicts (what is wrong now); '
    'conflict_events (latest refusals); flags. 22023 for NULL, P0002 for an unknown booking.';

------------------------------------------------------------------------------------------
-- Alerts (last: reads allocator_telemetry_stats() of 45_telemetry.sql at run time)
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_alerts()
RETURNS TABLE (alert text, value numeric, threshold numeric, firing boolean, detail jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    thresholds jsonb;
    this_db oid := (SELECT pd.oid FROM pg_catalog.pg_database pd WHERE pd.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());
    telemetry jsonb;
    telemetry_note jsonb;
    sweeper jsonb;
    measured numeric;
    info jsonb;
BEGIN
    SELECT pg_catalog.jsonb_object_agg(t.alert, t.threshold) INTO thresholds FROM @extschema@.allocator_alert_thresholds t;
    -- pg_stat_activity is read once per transaction unless told otherwise; an engineer
    -- calling this repeatedly in one psql transaction wants the current state each time.
    PERFORM pg_catalog.pg_stat_clear_snapshot();

    BEGIN
        SELECT pg_catalog.to_jsonb(s) INTO telemetry FROM @extschema@.allocator_telemetry_stats() s;
        telemetry_note := CASE
            WHEN NOT (telemetry OPERATOR(pg_catalog.->>) 'preloaded')::boolean THEN
                pg_catalog.jsonb_build_object('telemetry', 'not recording',
                    'note', 'allocator is not in shared_preload_libraries, so no telemetry worker '
                            'runs: the allocator''s own conflicts (23P01) and lock timeouts roll back '
                            'with their transaction unrecorded.')
            WHEN NOT coalesce(telemetry OPERATOR(pg_catalog.->>) 'worker_database'
                              OPERATOR(pg_catalog.=) pg_catalog.current_database()::text, false) THEN
                pg_catalog.jsonb_build_object('telemetry', 'not recording',
                    'note', pg_catalog.format('the telemetry worker writes to database %s (allocator.database_name), '
                            'not to this one: conflicts here are counted as other_database, not recorded',
                            coalesce(telemetry OPERATOR(pg_catalog.->>) 'worker_database', '(none: no worker is running)')))
            ELSE pg_catalog.jsonb_build_object('telemetry', 'recording') END;
    EXCEPTION WHEN OTHERS THEN
        telemetry := '{}';
        telemetry_note := pg_catalog.jsonb_build_object('telemetry', 'unavailable', 'error', SQLERRM);
    END;

    -- allocator.lock_contention: backends waiting for an allocator advisory lock (booking or
    -- table lock space) or for a lock on booking_table_assignments.
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
      INTO measured, info
      FROM blocked;
    alert := 'allocator.lock_contention'; value := measured; threshold := (thresholds OPERATOR(pg_catalog.->>) alert)::numeric;
    firing := coalesce(value OPERATOR(pg_catalog.>) threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.hold_expiry_backlog: expired holds the sweeper has not removed yet.
    SELECT pg_catalog.count(*),
           pg_catalog.jsonb_build_object(
               'oldest', (SELECT pg_catalog.jsonb_build_object('hold_id', o.id, 'booking_id', o.booking_id,
                                     'expires_at', o.expires_at,
                                     'expired_seconds', pg_catalog.round(extract(epoch FROM pg_catalog.now() OPERATOR(pg_catalog.-) o.expires_at)::numeric))
                            FROM @extschema@.table_holds o WHERE o.expires_at OPERATOR(pg_catalog.<) pg_catalog.now()
                           ORDER BY o.expires_at, o.id LIMIT 1),
               'look_at', 'SELECT id, booking_id, expires_at FROM table_holds WHERE expires_at < now() ORDER BY expires_at; '
                          'sweep now with SELECT sweep_expired_holds();')
      INTO measured, info
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
            info := info OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', coalesce(sweeper,
                          pg_catalog.jsonb_build_object('job', null, 'note', 'no pg_cron job allocator-hold-sweeper: '
                                                                  'SELECT schedule_hold_sweeper();')));
        ELSE
            info := info OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', pg_catalog.jsonb_build_object('job', null,
                          'note', 'pg_cron is not installed in this database; see README (pg_cron)'));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        info := info OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sweeper', pg_catalog.jsonb_build_object('error', SQLERRM));
    END;
    alert := 'allocator.hold_expiry_backlog'; value := measured; threshold := (thresholds OPERATOR(pg_catalog.->>) alert)::numeric;
    firing := coalesce(value OPERATOR(pg_catalog.>) threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.rpc_conflict_rate: conflict events (23P01) of the last minute, written by the
    -- telemetry worker or by the app in the same shape.
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
           OPERATOR(pg_catalog.||) telemetry_note
           OPERATOR(pg_catalog.||) CASE WHEN telemetry_note OPERATOR(pg_catalog.->>) 'telemetry' OPERATOR(pg_catalog.=) 'recording' THEN '{}'::jsonb
                   ELSE pg_catalog.jsonb_build_object('counts', 'only conflict events the application writes itself') END
      INTO measured, info
      FROM recent r;
    alert := 'allocator.rpc_conflict_rate'; value := measured; threshold := (thresholds OPERATOR(pg_catalog.->>) alert)::numeric;
    firing := coalesce(value OPERATOR(pg_catalog.>) threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.telemetry_insert_failures: events the telemetry worker failed to write in the
    -- last 5 minutes.
    alert := 'allocator.telemetry_insert_failures';
    value := (telemetry OPERATOR(pg_catalog.->>) 'recent_insert_failures')::numeric;
    threshold := (thresholds OPERATOR(pg_catalog.->>) alert)::numeric;
    firing := coalesce(value OPERATOR(pg_catalog.>) threshold, false);
    detail := pg_catalog.jsonb_build_object('window', '5 minutes',
                  'insert_failures_total', telemetry OPERATOR(pg_catalog.->) 'insert_failures',
                  'last_failure_at', telemetry OPERATOR(pg_catalog.->) 'last_failure_at',
                  'last_failure_message', telemetry OPERATOR(pg_catalog.->) 'last_failure_message',
                  'pending', telemetry OPERATOR(pg_catalog.->) 'pending',
                  'events_written', telemetry OPERATOR(pg_catalog.->) 'events_written',
                  'conflicts_recorded', telemetry OPERATOR(pg_catalog.->) 'conflicts_recorded',
                  'dropped_total', telemetry OPERATOR(pg_catalog.->) 'dropped',
                  'recent_dropped', telemetry OPERATOR(pg_catalog.->) 'recent_dropped',
                  'other_database', telemetry OPERATOR(pg_catalog.->) 'other_database',
                  'worker_database', telemetry OPERATOR(pg_catalog.->) 'worker_database',
                  'look_at', 'SELECT * FROM allocator_telemetry_stats(); the server log has the first failure of every 10 seconds')
              OPERATOR(pg_catalog.||) telemetry_note;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alerts() IS
    'The four runbook alerts, one row each: allocator.lock_contention (backends waiting on allocator locks or on '
    'booking_table_assignments), allocator.hold_expiry_backlog (expired holds not yet swept), '
    'allocator.rpc_conflict_rate (23P01 conflict events in the last minute), allocator.telemetry_insert_failures '
    '(last 5 minutes). firing is value > threshold (allocator_alert_thresholds; false when the value is unknown); detail says where to look.';
