
-- ---- Readable state --------------------------------------------------------------------------
-- bn / tn / hn / utc: readable booking, table, hold and UTC time for expected output;
-- contract(detail): the keys of the error contract (docs/errors.md) with readable ids;
-- seats, mirror, ledger, hx_*: readable views of the allocator's state;
-- counts(): row counts of every state table; state_hash(): a fingerprint of every state
-- row with its xmin, equal before and after a call that wrote nothing;
-- put_hold(...): a hold row and its members written directly, for suites that need live or
-- expired holds without going through the holds API.
CREATE FUNCTION bn(id uuid) RETURNS text LANGUAGE sql STABLE
    RETURN CASE WHEN fixture_name(id) LIKE 'b%' THEN fixture_name(id) ELSE id::text END;

CREATE FUNCTION tn(id uuid) RETURNS text LANGUAGE sql STABLE
    RETURN coalesce((SELECT table_number FROM table_inventory WHERE table_inventory.id = tn.id), id::text);

CREATE FUNCTION hn(id uuid) RETURNS text LANGUAGE sql STABLE
    RETURN CASE WHEN fixture_name(id) LIKE 'h%' THEN fixture_name(id) ELSE id::text END;

CREATE FUNCTION contract(d jsonb) RETURNS jsonb LANGUAGE sql STABLE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'reason', d->>'reason',
        'table_id', tn((d->>'table_id')::uuid),
        'conflicting_booking_id', bn((d->>'conflicting_booking_id')::uuid),
        'hold_id', hn((d->>'hold_id')::uuid)));

CREATE FUNCTION utc(ts timestamptz) RETURNS text LANGUAGE sql STABLE
    RETURN to_char(ts AT TIME ZONE 'UTC', 'MM-DD HH24:MI');

CREATE VIEW seats AS
SELECT bn(a.booking_id) AS booking, tn(a.table_id) AS tbl, utc(a.start_at) AS start_utc,
       utc(a.end_at) AS end_utc, a.merge_group_id IS NOT NULL AS merged, a.idempotency_key AS key
  FROM booking_table_assignments a;

CREATE VIEW mirror AS
SELECT bn(m.booking_id) AS booking, m.resource_type,
       CASE m.resource_type WHEN 'table' THEN tn(m.resource_id) ELSE m.resource_type END AS resource,
       utc(lower(m."window")) AS start_utc, utc(upper(m."window")) AS end_utc, m.shadow
  FROM allocations m;

CREATE VIEW ledger AS
SELECT bn(l.booking_id) AS booking, l.idempotency_key AS key,
       array(SELECT tn(x) FROM unnest(l.table_ids) WITH ORDINALITY AS u(x, i) ORDER BY i) AS tables,
       utc(l.start_at) AS start_utc, utc(l.end_at) AS end_utc, l.merge_group_id IS NOT NULL AS merged
  FROM booking_assignment_idempotency l;

-- Readable state of the hold tables, for the holds_* suites.
CREATE VIEW hx_holds AS
SELECT bn(h.booking_id) AS booking,
       array(SELECT tn(x) FROM unnest(h.table_ids) AS x ORDER BY 1) AS tables,
       utc(h.start_at) AS start_utc, utc(h.end_at) AS end_utc,
       h.expires_at > now() AS live, h.metadata
  FROM table_holds h;
CREATE VIEW hx_members AS
SELECT bn(h.booking_id) AS booking, tn(m.table_id) AS tbl, utc(m.start_at) AS start_utc,
       utc(m.end_at) AS end_utc
  FROM table_hold_members m JOIN table_holds h ON h.id = m.hold_id;
CREATE VIEW hx_mirror AS
SELECT bn(a.booking_id) AS booking, a.resource_type,
       CASE WHEN a.resource_type IN ('table', 'hold') THEN tn(a.resource_id) ELSE 'group' END AS resource,
       utc(lower(a."window")) AS start_utc, utc(upper(a."window")) AS end_utc,
       a.hold_id IS NOT NULL AS has_hold_id, a.assignment_id IS NOT NULL AS has_assignment_id
  FROM allocations a;
-- Events: the four lifecycle events the hold functions write in the caller's transaction.
-- (Conflict telemetry, written asynchronously by a background worker when allocator is
-- preloaded, is left out of every hx_* helper so that its timing cannot change the output.)
CREATE VIEW hx_events AS
SELECT e.event_type, e.source, e.severity, bn(e.booking_id) AS booking,
       e.context->>'removed_by' AS removed_by
  FROM observability_events e
 WHERE e.event_type IN ('hold.created', 'hold.confirmed', 'hold.released', 'hold.expired')
 ORDER BY e.id;
-- Row counts of the allocator's state: assignments and their mirror rows, merge groups,
-- ledger rows, holds, hold members, hold mirror rows and the hold lifecycle events.
CREATE FUNCTION counts(OUT assignments bigint, OUT table_rows bigint, OUT group_rows bigint,
                       OUT ledger_rows bigint, OUT holds bigint, OUT members bigint,
                       OUT hold_rows bigint, OUT hold_events bigint)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT count(*) FROM booking_table_assignments),
           (SELECT count(*) FROM allocations WHERE resource_type = 'table'),
           (SELECT count(*) FROM allocations WHERE resource_type = 'merge_group'),
           (SELECT count(*) FROM booking_assignment_idempotency),
           (SELECT count(*) FROM table_holds),
           (SELECT count(*) FROM table_hold_members),
           (SELECT count(*) FROM allocations WHERE resource_type = 'hold'),
           (SELECT count(*) FROM observability_events WHERE event_type IN ('hold.created', 'hold.confirmed', 'hold.released', 'hold.expired'))
$$;

-- Fingerprint of every allocator state row with its xmin, hold lifecycle events included:
-- equal before and after a call means the call inserted, updated and deleted nothing.
CREATE FUNCTION state_hash() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT md5(concat_ws('|',
        (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM table_holds),
        (SELECT string_agg(hold_id::text || table_id::text || ':' || xmin::text, ',' ORDER BY hold_id, table_id) FROM table_hold_members),
        (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM allocations),
        (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM booking_table_assignments),
        (SELECT string_agg(booking_id::text || idempotency_key || ':' || xmin::text, ',' ORDER BY booking_id, idempotency_key)
           FROM booking_assignment_idempotency),
        (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM bookings),
        (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM observability_events
           WHERE event_type IN ('hold.created', 'hold.confirmed', 'hold.released', 'hold.expired'))))
$$;

CREATE FUNCTION put_hold(hold_no int, booking uuid, tables uuid[], start_at timestamptz,
                         end_at timestamptz, expires_at timestamptz) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
    SELECT h(hold_no), booking, ti.restaurant_id, ti.zone_id, tables, start_at, end_at, expires_at
      FROM table_inventory ti WHERE ti.id = tables[1];
    INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
    SELECT h(hold_no), x, start_at, end_at FROM unnest(tables) AS x;
$$;

