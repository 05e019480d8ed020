
-- ---- Isolation specs (test/isolation/specs) ---------------------------------------------------
-- What every spec used to copy into its own setup, defined once. A spec's setup calls
-- iso_fixture() and adds only what is its own; its teardown calls iso_reset(). These objects
-- belong to this extension, so a spec empties them and never drops them.
--
-- The isolation fixture (ids as the specs' steps and expected outputs spell them):
--   restaurant a1000000-0000-4000-8000-0000000000f1, zone a2000000-...-0000000000f1 'iso main',
--   tables ISO-A<n> = a3000000-0000-4000-8000-0000000000a<n> (movable),
--   bookings b<n> = b0000000-0000-4000-8000-0000000000b<n> (confirmed, on 2030-06-01 UTC).

-- The zone, tables ISO-A1..ISO-A<p_tables> of p_capacity seats, and one booking per window
-- ('HH:MM-HH:MM' on 2030-06-01 UTC) for p_party_size guests: b1 for the first window, b2 for
-- the second, ... A procedure: a setup block prints whatever a SELECT returns.
CREATE PROCEDURE iso_fixture(p_tables integer, p_capacity integer, p_windows text[],
                             p_party_size integer DEFAULT 2)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_tables NOT BETWEEN 1 AND 9 OR cardinality(p_windows) NOT BETWEEN 1 AND 9 THEN
        RAISE EXCEPTION 'iso_fixture: 1 to 9 tables and bookings (their ids end in one digit)';
    END IF;
    INSERT INTO zones (id, restaurant_id, name)
    VALUES ('a2000000-0000-4000-8000-0000000000f1', 'a1000000-0000-4000-8000-0000000000f1', 'iso main');
    INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
    SELECT ('a3000000-0000-4000-8000-0000000000a' || n)::uuid, 'a1000000-0000-4000-8000-0000000000f1',
           'a2000000-0000-4000-8000-0000000000f1', 'ISO-A' || n, p_capacity, 'movable'
      FROM generate_series(1, p_tables) AS n
     ORDER BY n;
    INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at, status)
    SELECT ('b0000000-0000-4000-8000-0000000000b' || w.n)::uuid, 'a1000000-0000-4000-8000-0000000000f1',
           p_party_size, ('2030-06-01 ' || split_part(w.win, '-', 1) || '+00')::timestamptz,
           ('2030-06-01 ' || split_part(w.win, '-', 2) || '+00')::timestamptz, 'confirmed'
      FROM unnest(p_windows) WITH ORDINALITY AS w(win, n)
     ORDER BY w.n;
END
$$;

-- Flags as the allocator shipped them (read when this extension was created): iso_reset puts
-- back any a spec changed.
CREATE TABLE iso_shipped_flags AS
SELECT name, enabled, reason, changed_by FROM allocator_flags;

-- Hold labels. Hold ids are random, so iso_hold records each new hold under a label (h1, h2,
-- ...) in iso_holds, in the same transaction as the hold, and iso_redact prints labels
-- instead of hold ids. A session under REPEATABLE READ cannot see a label row committed
-- after its snapshot, so iso_hold also publishes each new hold's id outside any transaction
-- (iso_publish: two sequences per label, set with setval), and iso_hold_id and iso_redact
-- fall back to what was published. Labels h1..h9 have such sequences.
CREATE TABLE iso_holds (label text PRIMARY KEY, hold_id uuid NOT NULL UNIQUE);

CREATE FUNCTION iso_publish_labels() RETURNS SETOF text LANGUAGE sql IMMUTABLE
    RETURN 'h' || generate_series(1, 9);

DO $$
DECLARE
    label text;
BEGIN
    FOR label IN SELECT iso_publish_labels() LOOP
        EXECUTE format('CREATE SEQUENCE @extschema@.%I AS bigint MINVALUE -9223372036854775808',
                       'iso_published_' || label || '_hi');
        EXECUTE format('CREATE SEQUENCE @extschema@.%I AS bigint MINVALUE -9223372036854775808',
                       'iso_published_' || label || '_lo');
    END LOOP;
END
$$;

-- setval is not transactional and a sequence's value is read from its page, not through a
-- snapshot: what iso_publish writes, every session sees at once.
CREATE FUNCTION iso_publish(p_label text, p_hold_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    hex text := replace(p_hold_id::text, '-', '');
BEGIN
    IF p_label NOT IN (SELECT iso_publish_labels()) THEN
        RAISE EXCEPTION 'hold label % is not one of iso_publish_labels()', p_label;
    END IF;
    PERFORM setval(('@extschema@.iso_published_' || p_label || '_hi')::regclass, ('x' || substr(hex, 1, 16))::bit(64)::bigint);
    PERFORM setval(('@extschema@.iso_published_' || p_label || '_lo')::regclass, ('x' || substr(hex, 17, 16))::bit(64)::bigint);
END
$$;

-- NULL when nothing was published under p_label (a sequence never set, or reset by
-- iso_reset with is_called = false, has no last value).
CREATE FUNCTION iso_published(p_label text) RETURNS uuid
LANGUAGE sql VOLATILE
RETURN (lpad(to_hex(pg_sequence_last_value(to_regclass('@extschema@.iso_published_' || p_label || '_hi'))), 16, '0')
        || lpad(to_hex(pg_sequence_last_value(to_regclass('@extschema@.iso_published_' || p_label || '_lo'))), 16, '0'))::uuid;

CREATE FUNCTION iso_hold_id(p_label text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    id uuid;
BEGIN
    SELECT l.hold_id INTO id FROM iso_holds l WHERE l.label = p_label;
    id := coalesce(id, iso_published(p_label));
    IF id IS NULL THEN
        RAISE EXCEPTION 'no hold labelled %', p_label;
    END IF;
    RETURN id;
END
$$;

-- p_text with hold ids as their labels and any other generated uuid as <uuid>; the fixture's
-- own ids (a1/a2/a3/b0 followed by six zeros) stay. Nothing random is ever printed.
CREATE FUNCTION iso_redact(p_text text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    h record;
    result text := p_text;
BEGIN
    FOR h IN SELECT label, hold_id FROM iso_holds
             UNION
             SELECT p.label, iso_published(p.label) FROM iso_publish_labels() AS p(label)
              WHERE iso_published(p.label) IS NOT NULL LOOP
        result := replace(result, h.hold_id::text, h.label);
    END LOOP;
    RETURN regexp_replace(result,
        '(?![ab][0-9]000000-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END
$$;

-- ---- Errors ------------------------------------------------------------------------------------
-- isolationtester prints only an error's primary message, so the iso_* wrappers below re-raise
-- any error with the same SQLSTATE and this message: 'SQLSTATE reason: message', reason being
-- the DETAIL's JSON "reason" (the allocator's error contract) or 'constraint' for an error
-- PostgreSQL raised itself; with p_sqlstate_only, the SQLSTATE alone (for a race docs/locking.md lets
-- either the allocator or a constraint refuse). The effect is the same as a bare call's: the
-- error aborts the transaction. The one place a spec's error is formatted.
CREATE PROCEDURE iso_reraise(p_state text, p_message text, p_detail text, p_sqlstate_only boolean DEFAULT false)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_sqlstate_only THEN
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = p_state;
    END IF;
    RAISE EXCEPTION USING ERRCODE = p_state,
        MESSAGE = p_state || ' ' || CASE WHEN p_detail LIKE '{%' THEN coalesce(p_detail::jsonb->>'reason', '?')
                                         ELSE 'constraint' END || ': ' || iso_redact(p_message);
END
$$;

-- ---- Allocator calls ---------------------------------------------------------------------------
-- "a1,a2 merged": tables as their ids' last two characters, in id order, and whether they
-- form a merge group; NULL for no tables.
CREATE FUNCTION iso_tables(p_tables uuid[], p_merged boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN (SELECT string_agg(right(t::text, 2), ',' ORDER BY t) FROM unnest(p_tables) t)
       || CASE WHEN p_merged THEN ' merged' ELSE '' END;

-- The tables assigned, as iso_tables prints them.
CREATE FUNCTION iso_assign(p_booking uuid, p_tables uuid[], p_sqlstate_only boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN (SELECT iso_tables(array_agg(a.table_id), bool_or(a.merge_group_id IS NOT NULL))
              FROM assign_tables_atomic_v2(p_booking, p_tables) a);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail, p_sqlstate_only);
END
$$;

CREATE FUNCTION iso_unassign(p_booking uuid) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN (SELECT coalesce(iso_tables(array_agg(u.table_id)), '(none)') FROM unassign_tables_atomic(p_booking) u);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail);
END
$$;

-- "h1 b1:a1": the new hold's label, booking and tables.
CREATE FUNCTION iso_hold(p_label text, p_booking uuid, p_tables uuid[], p_sqlstate_only boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    h table_holds;
    detail text;
BEGIN
    SELECT * INTO STRICT h FROM create_table_hold(p_booking, p_tables);
    INSERT INTO iso_holds (label, hold_id) VALUES (p_label, h.id);
    PERFORM iso_publish(p_label, h.id);
    RETURN p_label || ' ' || right(h.booking_id::text, 2) || ':' || iso_tables(h.table_ids);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail, p_sqlstate_only);
END
$$;

-- The tables the confirm assigned, as iso_tables prints them.
CREATE FUNCTION iso_confirm(p_label text, p_booking uuid, p_sqlstate_only boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN (SELECT iso_tables(array_agg(c.table_id), bool_or(c.merge_group_id IS NOT NULL))
              FROM confirm_table_hold(iso_hold_id(p_label), p_booking) c);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail, p_sqlstate_only);
END
$$;

CREATE FUNCTION iso_release(p_label text, p_booking uuid DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN release_table_hold(iso_hold_id(p_label), p_booking);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail);
END
$$;

-- "2 (h1,h2)": what sweep_expired_holds returned, and which labelled holds this call removed
-- (they existed, as this session saw them, before the call and not after).
CREATE FUNCTION iso_sweep(p_limit integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    before text[];
    swept integer;
    gone text;
    detail text;
BEGIN
    SELECT coalesce(array_agg(l.label), ARRAY[]::text[]) INTO before
      FROM iso_holds l JOIN table_holds h ON h.id = l.hold_id;
    swept := sweep_expired_holds(p_limit);
    SELECT string_agg(l.label, ',' ORDER BY l.label) INTO gone
      FROM iso_holds l
     WHERE l.label = ANY (before) AND NOT EXISTS (SELECT 1 FROM table_holds h WHERE h.id = l.hold_id);
    RETURN swept || coalesce(' (' || gone || ')', '');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    CALL iso_reraise(SQLSTATE, SQLERRM, detail);
END
$$;

-- ---- Observing -----------------------------------------------------------------------------------
-- The allocator's advisory locks held or awaited in this database right now, by kind
-- (allocator_lock_spaces(): its booking and table lock spaces, as objsubid).
CREATE VIEW iso_allocator_locks AS
SELECT CASE l.objsubid WHEN s.booking_lock_space THEN 'booking' ELSE 'table' END AS allocator_lock,
       l.granted, count(*) AS count
  FROM pg_locks l
  JOIN allocator_lock_spaces() s ON l.objsubid IN (s.booking_lock_space, s.table_lock_space)
 WHERE l.locktype = 'advisory'
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 GROUP BY 1, 2;

-- Each session's backend pid, for pg_cancel_backend (a session's setup records its own).
CREATE TABLE iso_pids (session text PRIMARY KEY, pid integer NOT NULL);

-- An app table referencing holds (NO ACTION), so deleting a referenced hold is a foreign key
-- violation. Created by the specs that need it and dropped by iso_reset, not part of this
-- extension: a foreign key to table_holds would otherwise be checked in every spec.
CREATE PROCEDURE iso_create_hold_refs()
LANGUAGE sql AS $$
    CREATE TABLE @extschema@.iso_hold_refs (hold_id uuid NOT NULL REFERENCES table_holds (id));
$$;

-- The invariants a permutation ends by printing (each spec selects the columns that concern
-- it); every count must read 0.
--  overlapping_pairs: two overlapping assignments on one table.
--  mirror_mismatches: non-shadow 'table' rows of allocations vs the assignments (table,
--    booking, window), both directions.
--  group_mismatches: non-shadow 'merge_group' rows of allocations vs the merge groups, both
--    directions, plus bookings with several tables not all in one merge group.
--  pin_mismatches: zone pin set exactly on bookings that have tables.
--  hold_conflicts: a live hold's member overlapping another booking's assignment.
--  member_mismatches: table_hold_members vs the tables and window of their hold, both
--    directions (an orphan member counts here).
--  hold_mirror_mismatches: the 'hold' rows of allocations vs the hold members (hold, table,
--    booking, window), both directions; dual-write is on throughout.
--  event_mismatches: a hold id with a hold.created event but not exactly one terminal event
--    (hold.confirmed / hold.released / hold.expired) when it is gone, or any terminal event
--    while it still exists: each hold ends once, by one path.
--  problems: the rows allocator_verify() reports.
-- Then who has which table (b1:a1,a2), which holds remain (label if it has one, booking:tables,
-- "expired" when past expires_at), and the hold lifecycle events by type (hold.expired also by
-- who removed it). hold.conflict events are left out: the telemetry worker writes them after
-- the fact, when allocator is preloaded.
CREATE FUNCTION iso_check() RETURNS TABLE (overlapping_pairs bigint, mirror_mismatches bigint,
    group_mismatches bigint, pin_mismatches bigint, hold_conflicts bigint, member_mismatches bigint,
    hold_mirror_mismatches bigint, event_mismatches bigint, problems bigint,
    assignments text, holds text, hold_events text)
LANGUAGE sql STABLE BEGIN ATOMIC
    SELECT
        (SELECT count(*) FROM booking_table_assignments x
           JOIN booking_table_assignments y
             ON x.table_id = y.table_id AND x.id < y.id
            AND tstzrange(x.start_at, x.end_at, '[)') && tstzrange(y.start_at, y.end_at, '[)')) AS overlapping_pairs,
        (SELECT count(*) FROM (
            (SELECT resource_id, booking_id, "window" FROM allocations
              WHERE resource_type = 'table' AND NOT shadow
             EXCEPT ALL
             SELECT table_id, booking_id, tstzrange(start_at, end_at, '[)') FROM booking_table_assignments)
            UNION ALL
            (SELECT table_id, booking_id, tstzrange(start_at, end_at, '[)') FROM booking_table_assignments
             EXCEPT ALL
             SELECT resource_id, booking_id, "window" FROM allocations
              WHERE resource_type = 'table' AND NOT shadow)) d) AS mirror_mismatches,
        (SELECT count(*) FROM (
            (SELECT resource_id, booking_id FROM allocations
              WHERE resource_type = 'merge_group' AND NOT shadow
             EXCEPT ALL
             SELECT DISTINCT merge_group_id, booking_id FROM booking_table_assignments
              WHERE merge_group_id IS NOT NULL)
            UNION ALL
            (SELECT DISTINCT merge_group_id, booking_id FROM booking_table_assignments
              WHERE merge_group_id IS NOT NULL
             EXCEPT ALL
             SELECT resource_id, booking_id FROM allocations
              WHERE resource_type = 'merge_group' AND NOT shadow)) g)
        + (SELECT count(*) FROM (
            SELECT booking_id FROM booking_table_assignments GROUP BY booking_id
            HAVING count(*) > 1
               AND (count(DISTINCT merge_group_id) <> 1 OR bool_or(merge_group_id IS NULL))) s) AS group_mismatches,
        (SELECT count(*) FROM bookings b
          WHERE (b.assigned_zone_id IS NOT NULL)
                <> EXISTS (SELECT 1 FROM booking_table_assignments a WHERE a.booking_id = b.id)) AS pin_mismatches,
        (SELECT count(*) FROM table_holds h
           JOIN table_hold_members m ON m.hold_id = h.id
           JOIN booking_table_assignments a
             ON a.table_id = m.table_id AND a.booking_id IS DISTINCT FROM h.booking_id
            AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(m.start_at, m.end_at, '[)')
          WHERE h.expires_at > now()) AS hold_conflicts,
        (SELECT count(*) FROM (
            (SELECT hold_id, table_id, start_at, end_at FROM table_hold_members
             EXCEPT ALL
             SELECT h.id, t.table_id, h.start_at, h.end_at FROM table_holds h, unnest(h.table_ids) AS t(table_id))
            UNION ALL
            (SELECT h.id, t.table_id, h.start_at, h.end_at FROM table_holds h, unnest(h.table_ids) AS t(table_id)
             EXCEPT ALL
             SELECT hold_id, table_id, start_at, end_at FROM table_hold_members)) m) AS member_mismatches,
        (SELECT count(*) FROM (
            (SELECT hold_id, resource_id, booking_id, "window" FROM allocations
              WHERE resource_type = 'hold' AND NOT shadow
             EXCEPT ALL
             SELECT m.hold_id, m.table_id, h.booking_id, tstzrange(m.start_at, m.end_at, '[)')
               FROM table_hold_members m JOIN table_holds h ON h.id = m.hold_id)
            UNION ALL
            (SELECT m.hold_id, m.table_id, h.booking_id, tstzrange(m.start_at, m.end_at, '[)')
               FROM table_hold_members m JOIN table_holds h ON h.id = m.hold_id
             EXCEPT ALL
             SELECT hold_id, resource_id, booking_id, "window" FROM allocations
              WHERE resource_type = 'hold' AND NOT shadow)) hm) AS hold_mirror_mismatches,
        (SELECT count(*) FROM (
            SELECT c.context->>'hold_id' AS hold_id,
                   (SELECT count(*) FROM observability_events e
                     WHERE e.event_type IN ('hold.confirmed', 'hold.released', 'hold.expired')
                       AND e.context->>'hold_id' = c.context->>'hold_id') AS endings,
                   EXISTS (SELECT 1 FROM table_holds h WHERE h.id::text = c.context->>'hold_id') AS still_there
              FROM observability_events c WHERE c.event_type = 'hold.created') s
          WHERE s.endings <> CASE WHEN s.still_there THEN 0 ELSE 1 END) AS event_mismatches,
        (SELECT count(*) FROM allocator_verify()) AS problems,
        (SELECT coalesce(string_agg(s, ' ' ORDER BY s), '(none)') FROM (
            SELECT right(booking_id::text, 2) || ':' || iso_tables(array_agg(table_id)) AS s
              FROM booking_table_assignments GROUP BY booking_id) q) AS assignments,
        (SELECT coalesce(string_agg(coalesce(l.label || ' ', '') || right(h.booking_id::text, 2) || ':'
                                    || iso_tables(h.table_ids)
                                    || CASE WHEN h.expires_at <= now() THEN ' expired' ELSE '' END,
                                    ', ' ORDER BY l.label, h.booking_id), '(none)')
           FROM table_holds h LEFT JOIN iso_holds l ON l.hold_id = h.id) AS holds,
        (SELECT coalesce(string_agg(k || '=' || n, ' ' ORDER BY k), '(none)') FROM (
            SELECT substr(event_type, 6) || coalesce('/' || (context->>'removed_by'), '') AS k, count(*) AS n
              FROM observability_events
             WHERE event_type IN ('hold.created', 'hold.confirmed', 'hold.released', 'hold.expired')
             GROUP BY 1) ev) AS hold_events;
END;

-- ---- Teardown ----------------------------------------------------------------------------------
-- Every spec's teardown: the rows the spec and its permutation wrote go (the isolation
-- database holds nothing else), the flags go back to what the allocator shipped, nothing is
-- published under any hold label, and iso_hold_refs is dropped if the spec created it.
CREATE PROCEDURE iso_reset()
LANGUAGE plpgsql AS $$
DECLARE
    label text;
BEGIN
    IF to_regclass('@extschema@.iso_hold_refs') IS NOT NULL THEN
        DROP TABLE @extschema@.iso_hold_refs;
    END IF;
    DELETE FROM iso_holds;
    DELETE FROM iso_pids;
    FOR label IN SELECT iso_publish_labels() LOOP
        PERFORM setval(('@extschema@.iso_published_' || label || '_hi')::regclass, 0, false);
        PERFORM setval(('@extschema@.iso_published_' || label || '_lo')::regclass, 0, false);
    END LOOP;
    DELETE FROM table_holds;
    DELETE FROM allocations;
    DELETE FROM booking_assignment_idempotency;
    DELETE FROM booking_table_assignments;
    DELETE FROM observability_events;
    DELETE FROM table_adjacencies;
    DELETE FROM bookings;
    DELETE FROM table_inventory;
    DELETE FROM zones;
    UPDATE allocator_flags f
       SET enabled = s.enabled, reason = s.reason, changed_by = s.changed_by
      FROM iso_shipped_flags s
     WHERE f.name = s.name
       AND (f.enabled, f.reason, f.changed_by) IS DISTINCT FROM (s.enabled, s.reason, s.changed_by);
END
$$;
