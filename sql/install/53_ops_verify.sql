------------------------------------------------------------------------------------------
-- Invariants
------------------------------------------------------------------------------------------

-- The invariants that allocator_verify checks for every booking and manual_context for one
-- (54_ops_manual_context.sql) are written once, here: each an internal function of the rows
-- that break it, for every booking (p_booking_id NULL) or those of one booking. STABLE, so
-- they read their caller's snapshot. PL/pgSQL with custom plans, so that for one booking
-- the filter on it is a constant and reaches the indexes (a generic plan of
-- "p_booking_id IS NULL OR ... = p_booking_id" reads every row).

-- Assign refuses tables under another booking's live hold and holds refuse assigned tables,
-- but no constraint spans the two tables: this is the check. One row per live hold member
-- and another booking's assignment of its table in an overlapping window; for one booking,
-- the rows where it holds the table or is assigned it. For one booking only the members
-- that can be such rows are read (its holds', and those on its tables in its windows), by
-- index, rather than every live hold's.
CREATE FUNCTION @extschema@.allocator_hold_assignment_overlaps(p_booking_id uuid)
RETURNS TABLE (hold_id uuid, hold_booking_id uuid, table_id uuid, hold_start_at timestamptz, hold_end_at timestamptz,
               expires_at timestamptz, assignment_id uuid, booking_id uuid, start_at timestamptz, end_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY
    WITH checked AS (
        SELECT m.hold_id, m.table_id, m.start_at, m.end_at FROM @extschema@.table_hold_members m
         WHERE p_booking_id IS NULL
        UNION ALL
        (SELECT m.hold_id, m.table_id, m.start_at, m.end_at
           FROM @extschema@.table_holds h JOIN @extschema@.table_hold_members m ON m.hold_id OPERATOR(pg_catalog.=) h.id
          WHERE h.booking_id OPERATOR(pg_catalog.=) p_booking_id
         UNION
         SELECT m.hold_id, m.table_id, m.start_at, m.end_at
           FROM @extschema@.booking_table_assignments a
           JOIN @extschema@.table_hold_members m
             ON m.table_id OPERATOR(pg_catalog.=) a.table_id
            AND pg_catalog.tstzrange(m.start_at, m.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(a.start_at, a.end_at, '[)')
          WHERE a.booking_id OPERATOR(pg_catalog.=) p_booking_id)
    )
    SELECT h.id, h.booking_id, m.table_id, m.start_at, m.end_at, h.expires_at, a.id, a.booking_id, a.start_at, a.end_at
      FROM checked m
      JOIN @extschema@.table_holds h ON h.id OPERATOR(pg_catalog.=) m.hold_id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
      JOIN @extschema@.booking_table_assignments a
        ON a.table_id OPERATOR(pg_catalog.=) m.table_id AND a.booking_id IS DISTINCT FROM h.booking_id
       AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(m.start_at, m.end_at, '[)')
     WHERE p_booking_id IS NULL
        OR h.booking_id OPERATOR(pg_catalog.=) p_booking_id OR a.booking_id OPERATOR(pg_catalog.=) p_booking_id;
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_hold_assignment_overlaps(uuid) IS
    'Internal: the invariant hold_overlaps_assignment: live hold members on a table another booking is assigned '
    'in an overlapping window (all, or those where the booking holds or is assigned the table).';

-- bookings.assigned_zone_id is the zone of the booking's tables, and NULL without tables.
-- table_zone_ids: the zones of its tables, sorted, NULL without tables.
CREATE FUNCTION @extschema@.allocator_zone_pin_violations(p_booking_id uuid)
RETURNS TABLE (booking_id uuid, assigned_zone_id uuid, table_zone_ids uuid[], why text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY
    SELECT b.id, b.assigned_zone_id, z.zone_ids,
           CASE WHEN z.zone_ids IS NULL THEN 'pinned_without_assignments'
                WHEN b.assigned_zone_id IS NULL THEN 'assigned_but_not_pinned'
                ELSE 'pinned_to_other_zone' END
      FROM @extschema@.bookings b
      LEFT JOIN (SELECT a.booking_id, pg_catalog.array_agg(DISTINCT ti.zone_id ORDER BY ti.zone_id) AS zone_ids
                   FROM @extschema@.booking_table_assignments a
                   JOIN @extschema@.table_inventory ti ON ti.id OPERATOR(pg_catalog.=) a.table_id
                  GROUP BY a.booking_id) z ON z.booking_id OPERATOR(pg_catalog.=) b.id
     WHERE (p_booking_id IS NULL OR b.id OPERATOR(pg_catalog.=) p_booking_id)
       AND ((z.zone_ids IS NULL AND b.assigned_zone_id IS NOT NULL)
            OR (z.zone_ids IS NOT NULL AND z.zone_ids IS DISTINCT FROM ARRAY[b.assigned_zone_id]));
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_zone_pin_violations(uuid) IS
    'Internal: the invariant zone_pin_inconsistent: bookings (all, or the one) whose assigned_zone_id is not the '
    'one zone of their tables, or is set without tables; why says which.';

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
    SELECT 'hold_overlaps_assignment',
           pg_catalog.jsonb_build_object('hold_id', o.hold_id, 'hold_booking_id', o.hold_booking_id, 'table_id', o.table_id,
                              'hold_start_at', o.hold_start_at, 'hold_end_at', o.hold_end_at, 'expires_at', o.expires_at,
                              'assignment_id', o.assignment_id, 'booking_id', o.booking_id,
                              'start_at', o.start_at, 'end_at', o.end_at)
      FROM @extschema@.allocator_hold_assignment_overlaps(NULL) o
    UNION ALL
    SELECT 'zone_pin_inconsistent',
           pg_catalog.jsonb_build_object('booking_id', z.booking_id, 'assigned_zone_id', z.assigned_zone_id,
                              'table_zone_ids', pg_catalog.to_jsonb(z.table_zone_ids), 'why', z.why)
      FROM @extschema@.allocator_zone_pin_violations(NULL) z
) p
ORDER BY p.problem, p.detail::text
$$;
COMMENT ON FUNCTION @extschema@.allocator_verify() IS
    'Checks the allocator''s invariants; no rows when all hold. One row per problem: overlapping_assignments, '
    'mirror_missing / mirror_extra (while allocations_dual_write is on), orphan_hold_member, hold_members_mismatch, '
    'orphan_ledger_row, hold_overlaps_assignment, zone_pin_inconsistent; detail names the rows. '
    'allocator_repair_mirror() fixes the mirror ones.';
