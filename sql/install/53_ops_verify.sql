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
