-- PREPAREs the occupants read (src/pg/data/occupants.cpp) as `occupants`, with the text the
-- extension prepares (@extschema@ is public) and the same parameter types, so EXPLAIN
-- EXECUTE under plan_cache_mode shows its generic or custom plan: PostgreSQL 15 has no
-- EXPLAIN (GENERIC_PLAN). The extension plans it with seq scans and JIT off (spi.cpp); so
-- does this script, for the rest of the session. Sets :tables, :booking, :start_at and :end_at for EXECUTE from
-- psql -v table=N -v booking=N (table and booking numbers as in bench/setup.sql).
SELECT ('{0000000b-0000-4000-8000-' || lpad(:'table', 12, '0') || '}') AS tables,
       ('0000000c-0000-4000-8000-' || lpad(:'booking', 12, '0')) AS booking \gset
SELECT start_at, end_at FROM bookings WHERE id = :'booking' \gset
SET enable_seqscan = off;
SET jit = off;
PREPARE occupants(uuid[], uuid, timestamptz, timestamptz) AS
/* allocator: load occupants */select false as is_hold, a.table_id, a.booking_id, null::uuid as hold_id, a.start_at, a.end_at, true as live from pg_catalog.unnest($1) as r(table_id), lateral (select a.table_id, a.booking_id, a.start_at, a.end_at from public.booking_table_assignments a where a.table_id OPERATOR(pg_catalog.=) r.table_id and pg_catalog.tstzrange(a.start_at, a.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange($3, $4, '[)') and a.booking_id OPERATOR(pg_catalog.<>) $2 offset 0) a union all select true, m.table_id, h.booking_id, h.id, m.start_at, m.end_at, h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() from pg_catalog.unnest($1) as r(table_id), lateral (select m.hold_id, m.table_id, m.start_at, m.end_at from public.table_hold_members m where m.table_id OPERATOR(pg_catalog.=) r.table_id and pg_catalog.tstzrange(m.start_at, m.end_at, '[)') OPERATOR(pg_catalog.&&) pg_catalog.tstzrange($3, $4, '[)') offset 0) m join public.table_holds h on h.id OPERATOR(pg_catalog.=) m.hold_id;
