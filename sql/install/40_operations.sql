
------------------------------------------------------------------------------------------
-- Operations: what the on-call engineer calls from psql (docs/operations.md, one section
-- per runbook alert). Flags and alert thresholds with an audit trail, the manual context of
-- a booking, the four runbook alerts, an invariant check and the mirror repair.
------------------------------------------------------------------------------------------

-- The SQL side's one error helper (the C++ side has its own): SQLSTATE, message, a JSON
-- DETAIL with a "reason", and a HINT, as SPEC section 4 asks of every error.
CREATE FUNCTION @extschema@.allocator_error(p_sqlstate text, p_message text, p_detail jsonb, p_hint text)
RETURNS void
LANGUAGE plpgsql SET search_path = @extschema@, pg_temp AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message, DETAIL = p_detail::text, HINT = p_hint;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_error(text, text, jsonb, text) IS
    'Internal: raises an allocator error (SQLSTATE, message, JSON DETAIL with a reason, HINT).';

-- The allocator's advisory-lock spaces: pg_locks shows its locks as locktype 'advisory' with
-- these objsubid values. Must match kBookingLockSpace / kTableLockSpace in
-- include/allocator/pg/locks.hpp (ops_alerts counts real waiters, so a mismatch fails it).
CREATE FUNCTION @extschema@.allocator_lock_spaces(OUT booking_lock_space integer, OUT table_lock_space integer)
RETURNS record
LANGUAGE sql IMMUTABLE SET search_path = @extschema@, pg_temp AS $$
    SELECT 21001, 21002
$$;
COMMENT ON FUNCTION @extschema@.allocator_lock_spaces() IS
    'objsubid of the allocator''s advisory locks in pg_locks: booking locks and table locks. '
    'Example: SELECT * FROM pg_locks WHERE locktype = ''advisory'' AND objsubid IN (SELECT table_lock_space FROM allocator_lock_spaces());';

-- Who is calling, for audit trails: the login role, and the role it switched to (PostgREST
-- logs in as one role and SET ROLEs to another; current_user is the definer here).
CREATE FUNCTION @extschema@.allocator_caller()
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = @extschema@, pg_temp AS $$
    SELECT jsonb_build_object(
        'session_user', session_user::text,
        'role', current_setting('role'),
        'name', CASE WHEN current_setting('role') = 'none' THEN session_user::text
                     ELSE session_user::text || ' as ' || current_setting('role') END)
$$;
COMMENT ON FUNCTION @extschema@.allocator_caller() IS
    'Internal: the caller for audit trails: {"session_user", "role" (SET ROLE, or none), "name"}.';

------------------------------------------------------------------------------------------
-- Feature flags
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_flag_names(OUT name text, OUT env_name text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE SET search_path = @extschema@, pg_temp AS $$
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
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp AS $$
DECLARE
    flag_name text;
    old_enabled boolean;
    caller jsonb := @extschema@.allocator_caller();
    repair jsonb;
    result @extschema@.allocator_flags;
BEGIN
    IF p_name IS NULL OR p_enabled IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_name and p_enabled must not be NULL',
            jsonb_build_object('reason', 'null_argument'),
            'Example: SELECT * FROM set_allocator_flag(''merges_enabled'', false, ''incident 123: lock contention'');');
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        PERFORM @extschema@.allocator_error('22023', 'p_reason must say why the flag changes',
            jsonb_build_object('reason', 'reason_required', 'flag', p_name),
            'Name the incident or task, e.g. ''incident 123: lock contention''; it is kept in allocator_flags '
            'and in the allocator.flag_changed event.');
    END IF;
    SELECT n.name INTO flag_name FROM @extschema@.allocator_flag_names() n
     WHERE upper(btrim(p_name)) IN (upper(n.name), n.env_name);
    IF flag_name IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', format('unknown allocator flag %L', p_name),
            jsonb_build_object('reason', 'unknown_flag', 'flag', p_name),
            'Known flags: ' || (SELECT string_agg(n.name || ' (' || n.env_name || ')', ', ')
                                  FROM @extschema@.allocator_flag_names() n) || '.');
    END IF;

    SELECT f.enabled INTO old_enabled FROM @extschema@.allocator_flags f WHERE f.name = flag_name FOR UPDATE;
    -- Every allocator call reads this table, so the change reaches every connection at commit.
    UPDATE @extschema@.allocator_flags f
       SET enabled = p_enabled, reason = p_reason, changed_by = caller->>'name', changed_at = now()
     WHERE f.name = flag_name
    RETURNING f.* INTO result;
    IF NOT FOUND THEN  -- the row was deleted by hand: put it back
        INSERT INTO @extschema@.allocator_flags AS f (name, enabled, reason, changed_by, changed_at)
        VALUES (flag_name, p_enabled, p_reason, caller->>'name', now())
        RETURNING f.* INTO result;
    END IF;

    -- SPEC: turning dual-write back on rebuilds the mirror, which went stale while it was off.
    IF flag_name = 'allocations_dual_write' AND p_enabled AND old_enabled IS DISTINCT FROM true THEN
        SELECT jsonb_object_agg(r.action, r.rows) INTO repair FROM @extschema@.allocator_repair_mirror() r;
    END IF;

    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.flag_changed', 'warning',
            jsonb_strip_nulls(jsonb_build_object(
                'flag', flag_name,
                'env_name', (SELECT n.env_name FROM @extschema@.allocator_flag_names() n WHERE n.name = flag_name),
                'old', old_enabled, 'new', p_enabled, 'reason', p_reason,
                'mirror_repair', repair)) || (caller - 'name'));
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

CREATE TABLE @extschema@.allocator_alert_thresholds (
    alert      text PRIMARY KEY
               CHECK (alert IN ('allocator.lock_contention', 'allocator.hold_expiry_backlog',
                                'allocator.rpc_conflict_rate', 'allocator.telemetry_insert_failures')),
    threshold  numeric NOT NULL CHECK (threshold >= 0),
    reason     text,
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.allocator_alert_thresholds IS
    'Thresholds of the runbook alerts reported by allocator_alerts(): an alert fires when its value is above '
    'its threshold. Change them with set_allocator_alert_threshold, which records who, when and why.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.alert IS
    'The runbook alert, as allocator_alerts() names it.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.threshold IS
    'The alert fires when its value is strictly greater than this.';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.reason IS
    'Why the threshold has this value (required by set_allocator_alert_threshold).';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.changed_by IS
    'Who set it: session_user, and the role it had SET ROLE to ("authenticator as service_role").';
COMMENT ON COLUMN @extschema@.allocator_alert_thresholds.changed_at IS
    'When it was set.';
INSERT INTO @extschema@.allocator_alert_thresholds (alert, threshold, reason) VALUES
    ('allocator.lock_contention', 50, 'runbook default'),
    ('allocator.hold_expiry_backlog', 25, 'runbook default'),
    ('allocator.rpc_conflict_rate', 10, 'runbook default'),
    ('allocator.telemetry_insert_failures', 0, 'default');

-- As for allocator_flags: a restored row replaces the seeded default.
CREATE TRIGGER allocator_alert_thresholds_replace_seeded
    BEFORE INSERT ON @extschema@.allocator_alert_thresholds
    FOR EACH ROW EXECUTE FUNCTION @extschema@.replace_seeded_row('alert');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocator_alert_thresholds', '');

CREATE FUNCTION @extschema@.set_allocator_alert_threshold(p_alert text, p_threshold numeric, p_reason text)
RETURNS @extschema@.allocator_alert_thresholds
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp AS $$
DECLARE
    alert_name text;
    old_threshold numeric;
    caller jsonb := @extschema@.allocator_caller();
    result @extschema@.allocator_alert_thresholds;
BEGIN
    IF p_alert IS NULL OR p_threshold IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_alert and p_threshold must not be NULL',
            jsonb_build_object('reason', 'null_argument'),
            'Example: SELECT * FROM set_allocator_alert_threshold(''allocator.rpc_conflict_rate'', 20, ''noisy for 3 days'');');
    END IF;
    IF p_threshold < 0 THEN
        PERFORM @extschema@.allocator_error('22023', format('threshold %s is negative', p_threshold),
            jsonb_build_object('reason', 'bad_threshold', 'alert', p_alert, 'threshold', p_threshold),
            'An alert fires when its value is above the threshold; use 0 to fire on any occurrence.');
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        PERFORM @extschema@.allocator_error('22023', 'p_reason must say why the threshold changes',
            jsonb_build_object('reason', 'reason_required', 'alert', p_alert),
            'Name the incident or task; it is kept in allocator_alert_thresholds and in the '
            'allocator.threshold_changed event.');
    END IF;
    -- "allocator.rpc_conflict_rate" or just "rpc_conflict_rate".
    SELECT t.alert, t.threshold INTO alert_name, old_threshold
      FROM @extschema@.allocator_alert_thresholds t
     WHERE t.alert IN (lower(btrim(p_alert)), 'allocator.' || lower(btrim(p_alert)))
       FOR UPDATE;
    IF alert_name IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', format('unknown allocator alert %L', p_alert),
            jsonb_build_object('reason', 'unknown_alert', 'alert', p_alert),
            'Known alerts: ' || (SELECT string_agg(t.alert, ', ' ORDER BY t.alert)
                                   FROM @extschema@.allocator_alert_thresholds t) || '.');
    END IF;

    UPDATE @extschema@.allocator_alert_thresholds t
       SET threshold = p_threshold, reason = p_reason, changed_by = caller->>'name', changed_at = now()
     WHERE t.alert = alert_name
    RETURNING t.* INTO result;

    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.threshold_changed', 'warning',
            jsonb_build_object('alert', alert_name, 'old', old_threshold, 'new', p_threshold, 'reason', p_reason)
            || (caller - 'name'));
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @extschema@, pg_temp SET jit = off AS $$
WITH expected AS (
    SELECT 'table' AS resource_type, a.id AS source_id, a.booking_id, b.restaurant_id, a.table_id AS resource_id,
           tstzrange(a.start_at, a.end_at, '[)') AS "window", a.assigned_by AS created_by,
           a.id AS assignment_id, NULL::uuid AS hold_id, true AS required
      FROM @extschema@.booking_table_assignments a
      JOIN @extschema@.bookings b ON b.id = a.booking_id
    UNION ALL
    SELECT 'merge_group', g.merge_group_id, g.booking_id, b.restaurant_id, g.merge_group_id,
           tstzrange(min(g.start_at), max(g.end_at), '[)'), (array_agg(g.assigned_by ORDER BY g.assigned_at))[1],
           NULL, NULL, true
      FROM @extschema@.booking_table_assignments g
      JOIN @extschema@.bookings b ON b.id = g.booking_id
     WHERE g.merge_group_id IS NOT NULL
     GROUP BY g.merge_group_id, g.booking_id, b.restaurant_id
    UNION ALL
    SELECT DISTINCT 'hold', h.id, h.booking_id, h.restaurant_id, t.table_id,
           tstzrange(h.start_at, h.end_at, '[)'), h.created_by, NULL::uuid, h.id, h.expires_at > now()
      FROM @extschema@.table_holds h, unnest(h.table_ids) AS t(table_id)
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
           row_number() OVER (PARTITION BY e.resource_type, e.source_id, e.resource_id, e.booking_id
                              ORDER BY m.created_at, m.id) AS copy
      FROM actual m
      JOIN expected e ON e.resource_type = m.resource_type AND e.source_id = m.source_id
                     AND e.resource_id = m.resource_id
     WHERE e.booking_id IS NOT DISTINCT FROM m.booking_id AND e.restaurant_id = m.restaurant_id
       AND e."window" = m."window" AND e.assignment_id IS NOT DISTINCT FROM m.assignment_id
       AND e.hold_id IS NOT DISTINCT FROM m.hold_id
)
SELECT 'mirror_missing', e.resource_type, NULL::uuid, e.booking_id, e.restaurant_id, e.resource_id, e."window",
       e.created_by, e.assignment_id, e.hold_id,
       jsonb_strip_nulls(jsonb_build_object(
           'resource_type', e.resource_type, 'booking_id', e.booking_id, 'resource_id', e.resource_id,
           'start_at', lower(e."window"), 'end_at', upper(e."window"), 'assignment_id', e.assignment_id,
           'hold_id', e.hold_id))
  FROM expected e
  LEFT JOIN matched x
    ON x.resource_type = e.resource_type AND x.source_id = e.source_id AND x.resource_id = e.resource_id
   AND x.booking_id IS NOT DISTINCT FROM e.booking_id AND x.copy = 1
 WHERE e.required AND x.id IS NULL
UNION ALL
SELECT 'mirror_extra', m.resource_type, m.id, m.booking_id, m.restaurant_id, m.resource_id, m."window",
       m.created_by, m.assignment_id, m.hold_id,
       jsonb_strip_nulls(jsonb_build_object(
           'allocation_id', m.id, 'resource_type', m.resource_type, 'booking_id', m.booking_id,
           'resource_id', m.resource_id, 'start_at', lower(m."window"), 'end_at', upper(m."window"),
           'assignment_id', m.assignment_id, 'hold_id', m.hold_id,
           'why', CASE WHEN x.id IS NOT NULL THEN 'duplicate'
                       WHEN s.source_id IS NOT NULL THEN 'differs_from_source'
                       ELSE 'no_source' END))
  FROM actual m
  LEFT JOIN matched x ON x.id = m.id
  LEFT JOIN (SELECT DISTINCT e.resource_type, e.source_id FROM expected e) s
    ON s.resource_type = m.resource_type AND s.source_id = m.source_id
 WHERE x.id IS NULL OR x.copy > 1
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
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp SET jit = off AS $$
DECLARE
    attempt integer := 0;
    holds_first boolean := true;
    waiting_for text;
    saved_lock_timeout text;
    counts jsonb;
    dual_write boolean;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM @extschema@.allocator_error('25000',
            format('allocator_repair_mirror needs READ COMMITTED, not %s', current_setting('transaction_isolation')),
            jsonb_build_object('reason', 'isolation_level', 'isolation', current_setting('transaction_isolation')),
            'Run SELECT * FROM allocator_repair_mirror(); in its own transaction at the default isolation level.');
    END IF;

    -- Waiting for a table queues every new writer of it behind us: bound the wait (the
    -- session's lock_timeout if shorter), so a transaction left open on a table (idle in
    -- transaction) costs writers a second, not an outage.
    saved_lock_timeout := current_setting('lock_timeout');
    PERFORM set_config('lock_timeout',
                       least(1000, nullif((SELECT s.setting::int FROM pg_catalog.pg_settings s
                                            WHERE s.name = 'lock_timeout'), 0))::text || 'ms',
                       true);
    LOOP
        attempt := attempt + 1;
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
            IF waiting_for IS NOT NULL OR attempt >= 20 THEN
                waiting_for := coalesce(waiting_for, 'booking_table_assignments and table_holds');
                PERFORM @extschema@.allocator_error('55P03',
                    format('allocator_repair_mirror could not lock %s within %s', waiting_for,
                           current_setting('lock_timeout')),
                    jsonb_build_object('reason', 'lock_timeout', 'table', waiting_for, 'attempts', attempt,
                        'blocking_pids', (SELECT coalesce(jsonb_agg(DISTINCT l.pid ORDER BY l.pid), '[]')
                                            FROM pg_catalog.pg_locks l
                                           WHERE l.granted AND l.pid <> pg_backend_pid()
                                             AND l.relation IN ('@extschema@.table_holds'::regclass,
                                                                '@extschema@.booking_table_assignments'::regclass)
                                             AND l.mode NOT IN ('AccessShareLock', 'RowShareLock'))),
                    'A transaction keeps writing these tables (idle in transaction?): look the blocking pids up in '
                    'pg_stat_activity, then retry. allocator_verify() shows what is wrong meanwhile.');
            END IF;
            holds_first := NOT holds_first;
        END;
    END LOOP;
    PERFORM set_config('lock_timeout', saved_lock_timeout, true);

    WITH drift AS (
        SELECT * FROM @extschema@.allocator_mirror_drift()
    ),
    removed AS (
        DELETE FROM @extschema@.allocations m
         USING drift d
         WHERE d.problem = 'mirror_extra' AND m.id = d.allocation_id
        RETURNING m.resource_type
    ),
    added AS (
        INSERT INTO @extschema@.allocations
            (booking_id, restaurant_id, resource_type, resource_id, "window", created_by, assignment_id, hold_id)
        SELECT d.booking_id, d.restaurant_id, d.resource_type, d.resource_id, d."window", d.created_by,
               d.assignment_id, d.hold_id
          FROM drift d
         WHERE d.problem = 'mirror_missing'
        RETURNING resource_type
    ),
    changes AS (
        SELECT 'added' AS what, a.resource_type FROM added a
        UNION ALL
        SELECT 'removed', r.resource_type FROM removed r
    )
    SELECT jsonb_object_agg(w.what || ' ' || t.resource_type,
                            (SELECT count(*) FROM changes c WHERE c.what = w.what AND c.resource_type = t.resource_type))
      INTO counts
      FROM (VALUES ('added'), ('removed')) AS w(what)
     CROSS JOIN (VALUES ('table'), ('merge_group'), ('hold')) AS t(resource_type);

    SELECT f.enabled INTO dual_write FROM @extschema@.allocator_flags f WHERE f.name = 'allocations_dual_write';
    INSERT INTO @extschema@.observability_events (source, event_type, severity, context)
    VALUES ('allocator', 'allocator.mirror_repaired',
            CASE WHEN EXISTS (SELECT 1 FROM jsonb_each(counts) c WHERE c.value::bigint > 0) THEN 'warning' ELSE 'info' END,
            jsonb_build_object('changes', counts, 'dual_write', dual_write) || (@extschema@.allocator_caller() - 'name'));

    RETURN QUERY
    SELECT k.key, (counts->>k.key)::bigint
      FROM unnest(ARRAY['added table', 'added merge_group', 'added hold',
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @extschema@, pg_temp SET jit = off AS $$
SELECT p.problem, p.detail FROM (
    -- Impossible while the exclusion constraint stands.
    SELECT 'overlapping_assignments' AS problem,
           jsonb_build_object('table_id', a.table_id,
                              'assignment_id', a.id, 'booking_id', a.booking_id,
                              'start_at', a.start_at, 'end_at', a.end_at,
                              'other_assignment_id', o.id, 'other_booking_id', o.booking_id,
                              'other_start_at', o.start_at, 'other_end_at', o.end_at) AS detail
      FROM @extschema@.booking_table_assignments a
      JOIN @extschema@.booking_table_assignments o
        ON o.table_id = a.table_id AND (a.start_at, a.id) < (o.start_at, o.id)
       AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(o.start_at, o.end_at, '[)')
    UNION ALL
    -- The mirror is kept only while dual-write is on.
    SELECT d.problem, d.detail
      FROM @extschema@.allocator_mirror_drift() d
     WHERE (SELECT f.enabled FROM @extschema@.allocator_flags f WHERE f.name = 'allocations_dual_write')
    UNION ALL
    -- Impossible while the foreign key stands.
    SELECT 'orphan_hold_member',
           jsonb_build_object('hold_id', m.hold_id, 'table_id', m.table_id,
                              'start_at', m.start_at, 'end_at', m.end_at)
      FROM @extschema@.table_hold_members m
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.table_holds h WHERE h.id = m.hold_id)
    UNION ALL
    -- A hold's member rows (what the exclusion constraint and conflict checks see) are its
    -- table_ids for its window.
    SELECT 'hold_members_mismatch',
           jsonb_build_object('hold_id', h.id, 'booking_id', h.booking_id, 'table_ids', h.table_ids,
                              'start_at', h.start_at, 'end_at', h.end_at,
                              'members', coalesce(mem.members, '[]'))
      FROM @extschema@.table_holds h
      LEFT JOIN LATERAL (
          SELECT jsonb_agg(jsonb_build_object('table_id', m.table_id, 'start_at', m.start_at, 'end_at', m.end_at)
                           ORDER BY m.table_id)
                     AS members,
                 bool_and(m.start_at = h.start_at AND m.end_at = h.end_at) AS same_window,
                 array_agg(m.table_id ORDER BY m.table_id) AS tables
            FROM @extschema@.table_hold_members m
           WHERE m.hold_id = h.id) mem ON true
     WHERE mem.tables IS NULL OR NOT mem.same_window
        OR mem.tables IS DISTINCT FROM (SELECT array_agg(DISTINCT t ORDER BY t) FROM unnest(h.table_ids) AS t)
    UNION ALL
    -- A ledger row lives as long as the assignment it produced.
    SELECT 'orphan_ledger_row',
           jsonb_build_object('booking_id', l.booking_id, 'idempotency_key', l.idempotency_key,
                              'table_ids', l.table_ids,
                              'unassigned_table_ids',
                              (SELECT jsonb_agg(t) FROM unnest(l.table_ids) AS t
                                WHERE NOT EXISTS (SELECT 1 FROM @extschema@.booking_table_assignments a
                                                   WHERE a.booking_id = l.booking_id AND a.table_id = t)))
      FROM @extschema@.booking_assignment_idempotency l
     WHERE EXISTS (SELECT 1 FROM unnest(l.table_ids) AS t
                    WHERE NOT EXISTS (SELECT 1 FROM @extschema@.booking_table_assignments a
                                       WHERE a.booking_id = l.booking_id AND a.table_id = t))
    UNION ALL
    -- Assign refuses tables under another booking's live hold and holds refuse assigned
    -- tables, but no constraint spans the two tables: this is the check.
    SELECT 'hold_overlaps_assignment',
           jsonb_build_object('hold_id', h.id, 'hold_booking_id', h.booking_id, 'table_id', m.table_id,
                              'hold_start_at', m.start_at, 'hold_end_at', m.end_at, 'expires_at', h.expires_at,
                              'assignment_id', a.id, 'booking_id', a.booking_id,
                              'start_at', a.start_at, 'end_at', a.end_at)
      FROM @extschema@.table_hold_members m
      JOIN @extschema@.table_holds h ON h.id = m.hold_id AND h.expires_at > now()
      JOIN @extschema@.booking_table_assignments a
        ON a.table_id = m.table_id AND a.booking_id IS DISTINCT FROM h.booking_id
       AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(m.start_at, m.end_at, '[)')
    UNION ALL
    -- bookings.assigned_zone_id is the zone of the booking's tables, and NULL without tables.
    SELECT 'zone_pin_inconsistent',
           jsonb_build_object('booking_id', b.id, 'assigned_zone_id', b.assigned_zone_id,
                              'table_zone_ids', to_jsonb(z.zone_ids),
                              'why', CASE WHEN z.zone_ids IS NULL THEN 'pinned_without_assignments'
                                          WHEN b.assigned_zone_id IS NULL THEN 'assigned_but_not_pinned'
                                          ELSE 'pinned_to_other_zone' END)
      FROM @extschema@.bookings b
      LEFT JOIN (SELECT a.booking_id, array_agg(DISTINCT ti.zone_id ORDER BY ti.zone_id) AS zone_ids
                   FROM @extschema@.booking_table_assignments a
                   JOIN @extschema@.table_inventory ti ON ti.id = a.table_id
                  GROUP BY a.booking_id) z ON z.booking_id = b.id
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

-- Conflict events name the booking they concern; manual_context shows a booking's latest.
CREATE INDEX observability_events_booking_idx
    ON @extschema@.observability_events (booking_id, created_at) WHERE booking_id IS NOT NULL;

CREATE FUNCTION @extschema@.manual_context(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @extschema@, pg_temp SET jit = off AS $$
DECLARE
    booking @extschema@.bookings;
    booking_window tstzrange;
    result jsonb;
BEGIN
    IF p_booking_id IS NULL THEN
        PERFORM @extschema@.allocator_error('22023', 'p_booking_id must not be NULL',
            jsonb_build_object('reason', 'null_argument', 'argument', 'p_booking_id'),
            'Pass the booking''s id: SELECT manual_context(''<booking-id>'');');
    END IF;
    SELECT * INTO booking FROM @extschema@.bookings b WHERE b.id = p_booking_id;
    IF NOT FOUND THEN
        PERFORM @extschema@.allocator_error('P0002', format('booking %s does not exist', p_booking_id),
            jsonb_build_object('reason', 'booking_not_found', 'booking_id', p_booking_id),
            'Check the booking id against bookings.');
    END IF;

    booking_window := tstzrange(booking.start_at, booking.end_at, '[)');

    WITH mine AS (
        SELECT a.*, ti.table_number, ti.zone_id, ti.capacity, ti.active, ti.status
          FROM @extschema@.booking_table_assignments a
          JOIN @extschema@.table_inventory ti ON ti.id = a.table_id
         WHERE a.booking_id = booking.id
    ),
    -- The booking's own holds (live or awaiting the sweeper) and the live holds of others
    -- whose window touches the booking's.
    holds AS (
        SELECT h.*, h.expires_at > now() AS live, h.booking_id IS NOT DISTINCT FROM booking.id AS is_mine
          FROM @extschema@.table_holds h
         WHERE h.booking_id = booking.id
            OR (h.restaurant_id = booking.restaurant_id AND h.expires_at > now()
                AND tstzrange(h.start_at, h.end_at, '[)') && booking_window)
    ),
    tables AS (
        SELECT ti.*, z.name AS zone_name, blk.blockers,
               EXISTS (SELECT 1 FROM mine a WHERE a.table_id = ti.id) AS assigned,
               (SELECT h.id FROM holds h WHERE h.is_mine AND h.live AND ti.id = ANY (h.table_ids) LIMIT 1) AS own_hold
          FROM @extschema@.table_inventory ti
          JOIN @extschema@.zones z ON z.id = ti.zone_id
          -- Per table, one probe of each exclusion constraint's GiST index (table, window).
          LEFT JOIN LATERAL (
              SELECT jsonb_agg(x.blocker ORDER BY x.sort) AS blockers FROM (
                  SELECT 0 AS sort, jsonb_build_object('type', 'table_unavailable',
                             'reason', CASE WHEN NOT ti.active THEN 'inactive' ELSE 'out_of_service' END) AS blocker
                   WHERE NOT ti.active OR ti.status = 'out_of_service'
                  UNION ALL
                  SELECT 1, jsonb_build_object('type', 'assignment', 'booking_id', a.booking_id,
                             'start_at', a.start_at, 'end_at', a.end_at)
                    FROM @extschema@.booking_table_assignments a
                   WHERE a.table_id = ti.id AND a.booking_id <> booking.id
                     AND tstzrange(a.start_at, a.end_at, '[)') && booking_window
                  UNION ALL
                  SELECT 2, jsonb_build_object('type', 'hold', 'hold_id', h.id, 'booking_id', h.booking_id,
                             'start_at', m.start_at, 'end_at', m.end_at, 'expires_at', h.expires_at)
                    FROM @extschema@.table_hold_members m
                    JOIN @extschema@.table_holds h ON h.id = m.hold_id
                   WHERE m.table_id = ti.id AND h.expires_at > now() AND h.booking_id IS DISTINCT FROM booking.id
                     AND tstzrange(m.start_at, m.end_at, '[)') && booking_window
              ) x) blk ON true
         WHERE ti.restaurant_id = booking.restaurant_id
    ),
    conflicts AS (
        -- Another booking's live hold on a table this booking is assigned, in its window.
        SELECT jsonb_build_object('type', 'held_by_other_booking', 'table_id', a.table_id,
                   'table_number', a.table_number, 'hold_id', h.id, 'booking_id', h.booking_id,
                   'start_at', m.start_at, 'end_at', m.end_at, 'expires_at', h.expires_at) AS c
          FROM mine a
          JOIN @extschema@.table_hold_members m
            ON m.table_id = a.table_id
           AND tstzrange(m.start_at, m.end_at, '[)') && tstzrange(a.start_at, a.end_at, '[)')
          JOIN @extschema@.table_holds h
            ON h.id = m.hold_id AND h.expires_at > now() AND h.booking_id IS DISTINCT FROM booking.id
        UNION ALL
        -- This booking's live hold on a table another booking is assigned.
        SELECT jsonb_build_object('type', 'hold_overlaps_assignment', 'table_id', m.table_id,
                   'hold_id', h.id, 'booking_id', a.booking_id, 'start_at', a.start_at, 'end_at', a.end_at)
          FROM holds h
          JOIN @extschema@.table_hold_members m ON m.hold_id = h.id
          JOIN @extschema@.booking_table_assignments a
            ON a.table_id = m.table_id AND a.booking_id <> booking.id
           AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(m.start_at, m.end_at, '[)')
         WHERE h.is_mine AND h.live
        UNION ALL
        -- The booking was moved after it was seated: its tables are held for the old window.
        SELECT jsonb_build_object('type', 'window_mismatch', 'table_id', a.table_id, 'table_number', a.table_number,
                   'start_at', a.start_at, 'end_at', a.end_at,
                   'booking_start_at', booking.start_at, 'booking_end_at', booking.end_at)
          FROM mine a
         WHERE a.start_at <> booking.start_at OR a.end_at <> booking.end_at
        UNION ALL
        SELECT jsonb_build_object('type', 'table_unavailable', 'table_id', a.table_id, 'table_number', a.table_number,
                   'reason', CASE WHEN NOT a.active THEN 'inactive' ELSE 'out_of_service' END)
          FROM mine a
         WHERE NOT a.active OR a.status = 'out_of_service'
        UNION ALL
        SELECT jsonb_build_object('type', 'capacity_short', 'seats', sum(a.capacity), 'party_size', booking.party_size)
          FROM mine a
        HAVING sum(a.capacity) < booking.party_size
        UNION ALL
        SELECT jsonb_build_object('type', 'zone_pin_inconsistent', 'assigned_zone_id', booking.assigned_zone_id,
                   'table_zone_ids', (SELECT jsonb_agg(DISTINCT a.zone_id) FROM mine a))
         WHERE (booking.assigned_zone_id IS NULL) = EXISTS (SELECT 1 FROM mine)
            OR EXISTS (SELECT 1 FROM mine a WHERE a.zone_id <> booking.assigned_zone_id)
        UNION ALL
        -- A cancelled or no-show booking still occupying tables.
        SELECT jsonb_build_object('type', 'booking_not_assignable', 'status', booking.status,
                   'assigned_tables', (SELECT count(*) FROM mine),
                   'live_holds', (SELECT count(*) FROM holds h WHERE h.is_mine AND h.live))
         WHERE booking.status IN ('cancelled', 'no_show')
           AND (EXISTS (SELECT 1 FROM mine) OR EXISTS (SELECT 1 FROM holds h WHERE h.is_mine AND h.live))
    )
    SELECT jsonb_build_object(
        'booking', to_jsonb(booking)
                   || jsonb_build_object('assigned_zone_name',
                          (SELECT z.name FROM @extschema@.zones z WHERE z.id = booking.assigned_zone_id)),
        'tables', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'table_id', t.id, 'table_number', t.table_number, 'zone_id', t.zone_id, 'zone_name', t.zone_name,
                       'capacity', t.capacity, 'mobility', t.mobility, 'active', t.active, 'status', t.status,
                       'assigned_to_booking', t.assigned, 'held_for_booking', t.own_hold,
                       'free', t.blockers IS NULL, 'blocked_by', coalesce(t.blockers, '[]'))
                       ORDER BY t.zone_name, t.table_number), '[]')
                     FROM tables t),
        'holds', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                      'hold_id', h.id, 'booking_id', h.booking_id, 'for_this_booking', h.is_mine, 'live', h.live,
                      'table_ids', to_jsonb(h.table_ids),
                      'table_numbers', (SELECT jsonb_agg(ti.table_number ORDER BY ti.table_number)
                                          FROM @extschema@.table_inventory ti WHERE ti.id = ANY (h.table_ids)),
                      'zone_id', h.zone_id, 'start_at', h.start_at, 'end_at', h.end_at, 'expires_at', h.expires_at,
                      'created_by', h.created_by, 'metadata', h.metadata)
                      ORDER BY h.expires_at, h.id), '[]')
                    FROM holds h),
        'assignments', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'table_id', a.table_id, 'table_number', a.table_number, 'zone_id', a.zone_id,
                            'capacity', a.capacity, 'start_at', a.start_at, 'end_at', a.end_at,
                            'merge_group_id', a.merge_group_id, 'idempotency_key', a.idempotency_key,
                            'assigned_by', a.assigned_by, 'assigned_at', a.assigned_at,
                            'mirrored', EXISTS (SELECT 1 FROM @extschema@.allocations m
                                                 WHERE m.assignment_id = a.id AND NOT m.shadow))
                            ORDER BY a.table_number), '[]')
                          FROM mine a),
        'conflicts', (SELECT coalesce(jsonb_agg(c.c ORDER BY c.c->>'type', c.c->>'table_number', c.c::text), '[]')
                        FROM conflicts c),
        -- What the allocator refused this booking lately (telemetry or the app's own events).
        'conflict_events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'created_at', e.created_at, 'source', e.source, 'event_type', e.event_type,
                                'code', e.context->'error'->>'code', 'message', e.context->'error'->>'message',
                                'function', e.context->>'function', 'table_id', e.context->>'table_id',
                                'conflicting_booking_id', e.context->>'conflicting_booking_id',
                                'hold_id', e.context->>'hold_id') ORDER BY e.created_at DESC, e.id DESC), '[]')
                              FROM (SELECT * FROM @extschema@.observability_events e
                                     WHERE e.booking_id = booking.id AND e.context ? 'error'
                                     ORDER BY e.created_at DESC, e.id DESC LIMIT 20) e),
        'flags', (SELECT jsonb_object_agg(f.name, f.enabled ORDER BY f.name) FROM @extschema@.allocator_flags f),
        'generated_at', now())
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
-- Alerts (last: reads allocator_telemetry_stats() of 35_telemetry.sql at run time)
------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.allocator_alerts()
RETURNS TABLE (alert text, value numeric, threshold numeric, firing boolean, detail jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @extschema@, pg_temp SET jit = off AS $$
DECLARE
    thresholds jsonb;
    this_db oid := (SELECT pd.oid FROM pg_catalog.pg_database pd WHERE pd.datname = current_database());
    telemetry jsonb;
    telemetry_note jsonb;
    sweeper jsonb;
    measured numeric;
    info jsonb;
BEGIN
    SELECT jsonb_object_agg(t.alert, t.threshold) INTO thresholds FROM @extschema@.allocator_alert_thresholds t;
    -- pg_stat_activity is read once per transaction unless told otherwise; an engineer
    -- calling this repeatedly in one psql transaction wants the current state each time.
    PERFORM pg_catalog.pg_stat_clear_snapshot();

    BEGIN
        SELECT to_jsonb(s) INTO telemetry FROM @extschema@.allocator_telemetry_stats() s;
        telemetry_note := CASE WHEN (telemetry->>'preloaded')::boolean THEN jsonb_build_object('telemetry', 'recording')
                          ELSE jsonb_build_object('telemetry', 'not recording',
                                   'note', 'allocator is not in shared_preload_libraries, so no telemetry worker '
                                           'runs: the allocator''s own conflicts (23P01) and lock timeouts roll back '
                                           'with their transaction unrecorded.') END;
    EXCEPTION WHEN OTHERS THEN
        telemetry := '{}';
        telemetry_note := jsonb_build_object('telemetry', 'unavailable', 'error', SQLERRM);
    END;

    -- allocator.lock_contention: backends waiting for an allocator advisory lock (booking or
    -- table lock space) or for a lock on booking_table_assignments.
    WITH spaces AS (
        SELECT * FROM @extschema@.allocator_lock_spaces()
    ),
    waiting AS (
        SELECT l.pid,
               CASE WHEN l.locktype = 'relation' THEN 'relation booking_table_assignments'
                    WHEN l.objsubid = s.booking_lock_space THEN 'booking lock'
                    ELSE 'table lock' END AS waiting_for,
               l.mode
          FROM pg_catalog.pg_locks l, spaces s
         WHERE NOT l.granted AND l.database = this_db
           AND ((l.locktype = 'advisory' AND l.objsubid IN (s.booking_lock_space, s.table_lock_space))
             OR (l.locktype = 'relation' AND l.relation = '@extschema@.booking_table_assignments'::regclass))
    ),
    blocked AS (
        SELECT w.pid, min(w.waiting_for) AS waiting_for, min(w.mode) AS mode,
               pg_catalog.pg_blocking_pids(w.pid) AS blocking_pids
          FROM waiting w GROUP BY w.pid
    ),
    blockers AS (
        SELECT DISTINCT unnest(b.blocking_pids) AS pid FROM blocked b
    )
    SELECT count(*),
           jsonb_build_object(
               'blocked', coalesce((SELECT jsonb_agg(x.j ORDER BY x.waited DESC NULLS LAST) FROM (
                   SELECT jsonb_build_object('pid', b.pid, 'waiting_for', b.waiting_for, 'mode', b.mode,
                              'blocking_pids', to_jsonb(b.blocking_pids),
                              'waiting_seconds', round(extract(epoch FROM clock_timestamp() - a.state_change)::numeric, 1),
                              'query', left(a.query, 300)) AS j,
                          clock_timestamp() - a.state_change AS waited
                     FROM blocked b LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = b.pid
                    ORDER BY waited DESC NULLS LAST LIMIT 10) x), '[]'),
               'blockers', coalesce((SELECT jsonb_agg(x.j ORDER BY x.age DESC NULLS LAST) FROM (
                   SELECT jsonb_build_object('pid', k.pid, 'state', a.state, 'usename', a.usename,
                              'application_name', a.application_name,
                              'transaction_seconds', round(extract(epoch FROM clock_timestamp() - a.xact_start)::numeric, 1),
                              'query', left(a.query, 300)) AS j,
                          clock_timestamp() - a.xact_start AS age
                     FROM blockers k LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = k.pid
                    ORDER BY age DESC NULLS LAST LIMIT 10) x), '[]'),
               'look_at', 'SELECT * FROM pg_locks WHERE relation = ''booking_table_assignments''::regclass; '
                          'end a blocker with SELECT pg_cancel_backend(<pid>) or pg_terminate_backend(<pid>)')
      INTO measured, info
      FROM blocked;
    alert := 'allocator.lock_contention'; value := measured; threshold := (thresholds->>alert)::numeric;
    firing := coalesce(value > threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.hold_expiry_backlog: expired holds the sweeper has not removed yet.
    SELECT count(*),
           jsonb_build_object(
               'oldest', (SELECT jsonb_build_object('hold_id', o.id, 'booking_id', o.booking_id,
                                     'expires_at', o.expires_at,
                                     'expired_seconds', round(extract(epoch FROM now() - o.expires_at)::numeric))
                            FROM @extschema@.table_holds o WHERE o.expires_at < now()
                           ORDER BY o.expires_at, o.id LIMIT 1),
               'look_at', 'SELECT id, booking_id, expires_at FROM table_holds WHERE expires_at < now() ORDER BY expires_at; '
                          'sweep now with SELECT sweep_expired_holds();')
      INTO measured, info
      FROM @extschema@.table_holds h WHERE h.expires_at < now();
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
            -- Dynamic: pg_cron is optional.
            EXECUTE $q$
                SELECT jsonb_build_object('job', j.jobname, 'schedule', j.schedule, 'active', j.active,
                           'database', j.database,
                           'last_run', (SELECT jsonb_build_object('status', r.status, 'start_time', r.start_time,
                                                                  'return_message', r.return_message)
                                          FROM cron.job_run_details r WHERE r.jobid = j.jobid
                                         ORDER BY r.start_time DESC NULLS LAST LIMIT 1))
                  FROM cron.job j WHERE j.jobname = $1$q$
               INTO sweeper USING @extschema@.hold_sweeper_job_name();
            info := info || jsonb_build_object('sweeper', coalesce(sweeper,
                          jsonb_build_object('job', null, 'note', 'no pg_cron job allocator-hold-sweeper: '
                                                                  'SELECT schedule_hold_sweeper();')));
        ELSE
            info := info || jsonb_build_object('sweeper', jsonb_build_object('job', null,
                          'note', 'pg_cron is not installed in this database; see README (pg_cron)'));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        info := info || jsonb_build_object('sweeper', jsonb_build_object('error', SQLERRM));
    END;
    alert := 'allocator.hold_expiry_backlog'; value := measured; threshold := (thresholds->>alert)::numeric;
    firing := coalesce(value > threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.rpc_conflict_rate: conflict events (23P01) of the last minute, written by the
    -- telemetry worker or by the app in the same shape.
    WITH recent AS (
        SELECT e.source, e.context
          FROM @extschema@.observability_events e
         WHERE e.created_at > now() - interval '1 minute'
           AND e.source IN ('capacity.selector', 'capacity.hold')
    )
    SELECT count(*) FILTER (WHERE r.context->'error'->>'code' = '23P01'),
           jsonb_build_object(
               'window', '1 minute',
               'lock_timeouts', count(*) FILTER (WHERE r.context->'error'->>'code' = '55P03'),
               'by_source', coalesce((SELECT jsonb_object_agg(s.source, s.n) FROM (
                   SELECT x.source, count(*) AS n FROM recent x
                    WHERE x.context->'error'->>'code' = '23P01' GROUP BY x.source) s), '{}'),
               'top_tables', coalesce((SELECT jsonb_agg(jsonb_build_object('table_id', s.table_id,
                                                 'table_number', ti.table_number, 'conflicts', s.n)
                                             ORDER BY s.n DESC, s.table_id)
                   FROM (SELECT x.context->>'table_id' AS table_id, count(*) AS n FROM recent x
                          WHERE x.context->'error'->>'code' = '23P01' AND x.context ? 'table_id'
                          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) s
                   LEFT JOIN @extschema@.table_inventory ti ON ti.id::text = s.table_id), '[]'),
               'look_at', 'SELECT created_at, source, context->''error''->>''message'' FROM observability_events '
                          'WHERE source IN (''capacity.selector'', ''capacity.hold'') AND context ? ''error'' '
                          'ORDER BY created_at DESC LIMIT 20;')
           || telemetry_note
           || CASE WHEN telemetry_note->>'telemetry' = 'recording' THEN '{}'::jsonb
                   ELSE jsonb_build_object('counts', 'only conflict events the application writes itself') END
      INTO measured, info
      FROM recent r;
    alert := 'allocator.rpc_conflict_rate'; value := measured; threshold := (thresholds->>alert)::numeric;
    firing := coalesce(value > threshold, false); detail := info;
    RETURN NEXT;

    -- allocator.telemetry_insert_failures: events the telemetry worker failed to write in the
    -- last 5 minutes.
    alert := 'allocator.telemetry_insert_failures';
    value := (telemetry->>'recent_insert_failures')::numeric;
    threshold := (thresholds->>alert)::numeric;
    firing := coalesce(value > threshold, false);
    detail := jsonb_build_object('window', '5 minutes',
                  'insert_failures_total', telemetry->'insert_failures',
                  'last_failure_at', telemetry->'last_failure_at',
                  'last_failure_message', telemetry->'last_failure_message',
                  'pending', telemetry->'pending',
                  'events_written', telemetry->'events_written',
                  'conflicts_recorded', telemetry->'conflicts_recorded',
                  'look_at', 'SELECT * FROM allocator_telemetry_stats(); the server log has each failure')
              || telemetry_note;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_alerts() IS
    'The four runbook alerts, one row each: allocator.lock_contention (backends waiting on allocator locks or on '
    'booking_table_assignments), allocator.hold_expiry_backlog (expired holds not yet swept), '
    'allocator.rpc_conflict_rate (23P01 conflict events in the last minute), allocator.telemetry_insert_failures '
    '(last 5 minutes). firing is value > threshold (allocator_alert_thresholds; false when the value is unknown); detail says where to look.';
