------------------------------------------------------------------------------------------
-- The allocations mirror: what it should hold, how it differs, how to rebuild it
------------------------------------------------------------------------------------------

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
    -- On a hot standby: 25006 naming the primary, before anything is read.
    PERFORM @extschema@.allocator_require_primary('allocator_repair_mirror');
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
