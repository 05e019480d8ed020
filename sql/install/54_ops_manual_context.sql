------------------------------------------------------------------------------------------
-- Manual context: what the staff UI shows for one booking
------------------------------------------------------------------------------------------

-- manual_context checks its argument and the caller's access, then builds its answer from
-- one internal piece per key. The pieces are STABLE, so they all read manual_context's
-- snapshot, and run as its definer; they are not callable by the API roles.

-- "tables": every table of the restaurant, free for the booking's window or blocked_by
-- what stands in the way.
CREATE FUNCTION @extschema@.allocator_context_tables(p_booking_id uuid, p_restaurant_id uuid, p_window tstzrange)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'table_id', ti.id, 'table_number', ti.table_number, 'zone_id', ti.zone_id, 'zone_name', z.name,
                   'capacity', ti.capacity, 'mobility', ti.mobility, 'active', ti.active, 'status', ti.status,
                   'assigned_to_booking', EXISTS (SELECT 1 FROM @extschema@.booking_table_assignments a
                                                   WHERE a.booking_id OPERATOR(pg_catalog.=) p_booking_id
                                                     AND a.table_id OPERATOR(pg_catalog.=) ti.id),
                   'held_for_booking', (SELECT h.id FROM @extschema@.table_holds h
                                         WHERE h.booking_id OPERATOR(pg_catalog.=) p_booking_id
                                           AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
                                           AND ti.id OPERATOR(pg_catalog.=) ANY (h.table_ids) LIMIT 1),
                   'free', blk.blockers IS NULL, 'blocked_by', coalesce(blk.blockers, '[]'))
                   ORDER BY z.name, ti.table_number), '[]')
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
                   WHERE a.table_id OPERATOR(pg_catalog.=) ti.id AND a.booking_id OPERATOR(pg_catalog.<>) p_booking_id
                     AND pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) p_window
                  UNION ALL
                  SELECT 2, pg_catalog.jsonb_build_object('type', 'hold', 'hold_id', h.id, 'booking_id', h.booking_id,
                             'start_at', m.start_at, 'end_at', m.end_at, 'expires_at', h.expires_at)
                    FROM @extschema@.table_hold_members m
                    JOIN @extschema@.table_holds h ON h.id OPERATOR(pg_catalog.=) m.hold_id
                   WHERE m.table_id OPERATOR(pg_catalog.=) ti.id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
                     AND h.booking_id IS DISTINCT FROM p_booking_id
                     AND pg_catalog.tstzrange(m.start_at, m.end_at, '[)') OPERATOR(pg_catalog.&&) p_window
              ) x) blk ON true
         WHERE ti.restaurant_id OPERATOR(pg_catalog.=) p_restaurant_id);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_tables(uuid, uuid, tstzrange) IS
    'Internal: manual_context''s "tables": every table of the restaurant, whether the booking is assigned or holds '
    'it, and what blocks it for the window.';

-- "holds": the booking's own holds (live or awaiting the sweeper) and the live holds of
-- others whose window touches the booking's.
CREATE FUNCTION @extschema@.allocator_context_holds(p_booking_id uuid, p_restaurant_id uuid, p_window tstzrange)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'hold_id', h.id, 'booking_id', h.booking_id,
                   'for_this_booking', h.booking_id IS NOT DISTINCT FROM p_booking_id,
                   'live', h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now(),
                   'table_ids', pg_catalog.to_jsonb(h.table_ids),
                   'table_numbers', (SELECT pg_catalog.jsonb_agg(ti.table_number ORDER BY ti.table_number)
                                       FROM @extschema@.table_inventory ti WHERE ti.id OPERATOR(pg_catalog.=) ANY (h.table_ids)),
                   'zone_id', h.zone_id, 'start_at', h.start_at, 'end_at', h.end_at, 'expires_at', h.expires_at,
                   'created_by', h.created_by, 'metadata', h.metadata)
                   ORDER BY h.expires_at, h.id), '[]')
          FROM @extschema@.table_holds h
         WHERE h.booking_id OPERATOR(pg_catalog.=) p_booking_id
            OR (h.restaurant_id OPERATOR(pg_catalog.=) p_restaurant_id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
                AND pg_catalog.tstzrange(h.start_at, h.end_at, '[)') OPERATOR(pg_catalog.&&) p_window));
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_holds(uuid, uuid, tstzrange) IS
    'Internal: manual_context''s "holds": the booking''s holds and the live holds of others touching its window.';

-- "assignments": the booking's tables, and whether the mirror has each.
CREATE FUNCTION @extschema@.allocator_context_assignments(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'table_id', a.table_id, 'table_number', ti.table_number, 'zone_id', ti.zone_id,
                   'capacity', ti.capacity, 'start_at', a.start_at, 'end_at', a.end_at,
                   'merge_group_id', a.merge_group_id, 'idempotency_key', a.idempotency_key,
                   'assigned_by', a.assigned_by, 'assigned_at', a.assigned_at,
                   'mirrored', EXISTS (SELECT 1 FROM @extschema@.allocations m
                                        WHERE m.assignment_id OPERATOR(pg_catalog.=) a.id AND NOT m.shadow))
                   ORDER BY ti.table_number), '[]')
          FROM @extschema@.booking_table_assignments a
          JOIN @extschema@.table_inventory ti ON ti.id OPERATOR(pg_catalog.=) a.table_id
         WHERE a.booking_id OPERATOR(pg_catalog.=) p_booking_id);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_assignments(uuid) IS
    'Internal: manual_context''s "assignments": the booking''s tables, each with whether the mirror has it.';

-- "conflicts": what is wrong with the booking now. The two invariants it shares with
-- allocator_verify come from their one definition (53_ops_verify.sql).
CREATE FUNCTION @extschema@.allocator_context_conflicts(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    booking @extschema@.bookings;
BEGIN
    SELECT * INTO booking FROM @extschema@.bookings b WHERE b.id OPERATOR(pg_catalog.=) p_booking_id;
    RETURN (
        WITH mine AS (
            SELECT a.*, ti.table_number, ti.zone_id, ti.capacity, ti.active, ti.status
              FROM @extschema@.booking_table_assignments a
              JOIN @extschema@.table_inventory ti ON ti.id OPERATOR(pg_catalog.=) a.table_id
             WHERE a.booking_id OPERATOR(pg_catalog.=) booking.id
        ),
        hold_overlaps AS (
            SELECT * FROM @extschema@.allocator_hold_assignment_overlaps(booking.id)
        ),
        own_live_holds AS (
            SELECT h.id FROM @extschema@.table_holds h
             WHERE h.booking_id OPERATOR(pg_catalog.=) booking.id AND h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
        ),
        conflicts AS (
            -- Another booking's live hold on a table this booking is assigned, in its window.
            SELECT pg_catalog.jsonb_build_object('type', 'held_by_other_booking', 'table_id', o.table_id,
                       'table_number', a.table_number, 'hold_id', o.hold_id, 'booking_id', o.hold_booking_id,
                       'start_at', o.hold_start_at, 'end_at', o.hold_end_at, 'expires_at', o.expires_at) AS c
              FROM hold_overlaps o JOIN mine a ON a.id OPERATOR(pg_catalog.=) o.assignment_id
            UNION ALL
            -- This booking's live hold on a table another booking is assigned.
            SELECT pg_catalog.jsonb_build_object('type', 'hold_overlaps_assignment', 'table_id', o.table_id,
                       'hold_id', o.hold_id, 'booking_id', o.booking_id, 'start_at', o.start_at, 'end_at', o.end_at)
              FROM hold_overlaps o
             WHERE o.hold_booking_id OPERATOR(pg_catalog.=) booking.id
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
            SELECT pg_catalog.jsonb_build_object('type', 'zone_pin_inconsistent', 'assigned_zone_id', z.assigned_zone_id,
                       'table_zone_ids', pg_catalog.to_jsonb(z.table_zone_ids))
              FROM @extschema@.allocator_zone_pin_violations(booking.id) z
            UNION ALL
            -- A cancelled or no-show booking still occupying tables.
            SELECT pg_catalog.jsonb_build_object('type', 'booking_not_assignable', 'status', booking.status,
                       'assigned_tables', (SELECT pg_catalog.count(*) FROM mine),
                       'live_holds', (SELECT pg_catalog.count(*) FROM own_live_holds))
             WHERE booking.status IN ('cancelled', 'no_show')
               AND (EXISTS (SELECT 1 FROM mine) OR EXISTS (SELECT 1 FROM own_live_holds))
        )
        SELECT coalesce(pg_catalog.jsonb_agg(c.c ORDER BY c.c OPERATOR(pg_catalog.->>) 'type',
                                             c.c OPERATOR(pg_catalog.->>) 'table_number', c.c::text), '[]')
          FROM conflicts c);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_conflicts(uuid) IS
    'Internal: manual_context''s "conflicts": held_by_other_booking, hold_overlaps_assignment, window_mismatch, '
    'table_unavailable, capacity_short, zone_pin_inconsistent, booking_not_assignable.';

-- "conflict_events": what the allocator refused this booking lately (telemetry or the
-- app's own events).
CREATE FUNCTION @extschema@.allocator_context_conflict_events(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'created_at', e.created_at, 'source', e.source, 'event_type', e.event_type,
                   'code', e.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'code',
                   'message', e.context OPERATOR(pg_catalog.->) 'error' OPERATOR(pg_catalog.->>) 'message',
                   'function', e.context OPERATOR(pg_catalog.->>) 'function', 'table_id', e.context OPERATOR(pg_catalog.->>) 'table_id',
                   'conflicting_booking_id', e.context OPERATOR(pg_catalog.->>) 'conflicting_booking_id',
                   'hold_id', e.context OPERATOR(pg_catalog.->>) 'hold_id') ORDER BY e.created_at DESC, e.id DESC), '[]')
          FROM (SELECT * FROM @extschema@.observability_events e
                 WHERE e.booking_id OPERATOR(pg_catalog.=) p_booking_id AND e.context OPERATOR(pg_catalog.?) 'error'
                 ORDER BY e.created_at DESC, e.id DESC LIMIT 20) e);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_conflict_events(uuid) IS
    'Internal: manual_context''s "conflict_events": the booking''s latest 20 error events.';

-- "plans": the top three plans quote_tables offers the booking now (what auto_assign_booking
-- would take first), each with its tables' numbers; [] for a booking the planner does not
-- plan: one that has tables already or may not be seated.
CREATE FUNCTION @extschema@.allocator_context_plans(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.bookings b
                    WHERE b.id OPERATOR(pg_catalog.=) p_booking_id AND b.status IN ('pending', 'confirmed', 'checked_in'))
       OR EXISTS (SELECT FROM @extschema@.booking_table_assignments a WHERE a.booking_id OPERATOR(pg_catalog.=) p_booking_id) THEN
        RETURN '[]';
    END IF;
    RETURN (
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'rank', q.rank, 'table_ids', pg_catalog.to_jsonb(q.table_ids),
                   'table_numbers', (SELECT pg_catalog.jsonb_agg(ti.table_number ORDER BY ti.id)
                                       FROM @extschema@.table_inventory ti WHERE ti.id OPERATOR(pg_catalog.=) ANY (q.table_ids)),
                   'zone_id', q.zone_id, 'seats', q.seats, 'seats_left_over', q.seats_left_over,
                   'is_merge', q.is_merge, 'explanation', q.explanation) ORDER BY q.rank), '[]')
          FROM @extschema@.quote_tables(p_booking_id, p_limit => 3) q);
END
$$;
COMMENT ON FUNCTION @extschema@.allocator_context_plans(uuid) IS
    'Internal: manual_context''s "plans": the top three plans of quote_tables for the booking ([] for a booking '
    'that has tables or may not be seated).';

CREATE FUNCTION @extschema@.manual_context(p_booking_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    booking @extschema@.bookings;
    booking_window tstzrange;
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
    RETURN pg_catalog.jsonb_build_object(
        'booking', pg_catalog.to_jsonb(booking)
                   OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('assigned_zone_name',
                          (SELECT z.name FROM @extschema@.zones z WHERE z.id OPERATOR(pg_catalog.=) booking.assigned_zone_id)),
        'tables', @extschema@.allocator_context_tables(booking.id, booking.restaurant_id, booking_window),
        'holds', @extschema@.allocator_context_holds(booking.id, booking.restaurant_id, booking_window),
        'assignments', @extschema@.allocator_context_assignments(booking.id),
        'conflicts', @extschema@.allocator_context_conflicts(booking.id),
        'conflict_events', @extschema@.allocator_context_conflict_events(booking.id),
        'plans', @extschema@.allocator_context_plans(booking.id),
        'flags', (SELECT pg_catalog.jsonb_object_agg(f.name, f.enabled ORDER BY f.name) FROM @extschema@.allocator_flags f),
        'generated_at', pg_catalog.now());
END
$$;
COMMENT ON FUNCTION @extschema@.manual_context(uuid) IS
    'What the staff UI shows for a booking, as jsonb: booking; tables (every table of its restaurant with zone, '
    'capacity, mobility, status, free for the booking''s window or blocked_by which assignment / hold); holds '
    '(the booking''s, and live holds touching its window); assignments; conflicts (what is wrong now); '
    'conflict_events (latest refusals); plans (the top three of quote_tables); flags. 22023 for NULL, P0002 for an unknown booking.';
