// The text of every SQL statement the extension runs from C++.
//
// Nothing here depends on search_path (docs/security.md): the extension's own tables are
// written @extschema@.name, replaced by the extension's schema when the plan is prepared
// (spi.cpp), and every function and operator is pg_catalog's, named as such. An object a
// hostile role creates in any schema, even one with a better-matching argument type, can
// never be what a statement calls.
#include "allocator/pg/statements.hpp"

#include <array>
#include <stdexcept>

namespace allocator::pg {

namespace {

constexpr Oid U = UUIDOID;
constexpr Oid UA = UUIDARRAYOID;
constexpr Oid TS = TIMESTAMPTZOID;
constexpr Oid TX = TEXTOID;
constexpr Oid I4 = INT4OID;
constexpr Oid IV = INTERVALOID;
constexpr Oid JB = JSONBOID;

// Child rows are deleted explicitly rather than left to the ON DELETE CASCADE foreign keys:
// at REPEATABLE READ, PostgreSQL cross-checks a cascaded delete against the transaction's
// snapshot and fails with 40001 on rows committed after it, which our statements (running on
// the latest snapshot) legitimately remove. The cascades stay as the backstop.
#define MIRROR_DELETE(condition) "delete from @extschema@.allocations where " condition " returning 1"
// For a CTE `doomed(id)` of holds about to be deleted.
#define HOLD_CHILDREN_DELETE                                                                      \
    "members as (delete from @extschema@.table_hold_members m using doomed d "                     \
    "  where m.hold_id OPERATOR(pg_catalog.=) d.id returning 1), "                                  \
    "hold_mirror as (delete from @extschema@.allocations a using doomed d "                        \
    "  where a.hold_id OPERATOR(pg_catalog.=) d.id returning 1), "

// The event row every hold lifecycle statement writes, from a CTE row `r` of table_holds.
#define HOLD_EVENT_INSERT(event_type, extra_context)                                                      \
    "insert into @extschema@.observability_events "                                                      \
    "  (source, event_type, severity, restaurant_id, booking_id, context) "                              \
    "select 'capacity.hold', " event_type ", 'info', r.restaurant_id, r.booking_id, "                     \
    "pg_catalog.jsonb_build_object('hold_id', r.id, 'table_ids', r.table_ids, 'start_at', r.start_at, "   \
    "'end_at', r.end_at, 'expires_at', r.expires_at, 'session_user', session_user) "                     \
    "OPERATOR(pg_catalog.||) " extra_context " from removed r"

// The allocations_dual_write flag as the statement's own snapshot sees it (on by default).
#define DUAL_WRITE_ON                                                                   \
    "coalesce((select f.enabled from @extschema@.allocator_flags f "                    \
    "          where f.name OPERATOR(pg_catalog.=) 'allocations_dual_write'), true)"

// Whether role `role` has (or inherits) access other than staff (allocator_grant_access).
#define SERVICE_ACCESS(role)                                                                      \
    "exists (select from @extschema@.allocator_role_access a "                                    \
    "        where a.access OPERATOR(pg_catalog.<>) 'staff' and pg_catalog.pg_has_role(" role ", " \
    "              pg_catalog.to_regrole(pg_catalog.quote_ident(a.role_name)), 'USAGE'))"

// Half-open windows, as the exclusion constraints index them (so lookups use their GiST
// indexes).
#define WINDOW(start, end) "pg_catalog.tstzrange(" start ", " end ", '[)')"
#define OVERLAPS " OPERATOR(pg_catalog.&&) "

const std::array<StatementText, static_cast<std::size_t>(Statement::Count)> kStatements = {{
    {"LoadFlags", "select name, enabled from @extschema@.allocator_flags", 0, {}},

    {"LoadBooking",
     "select id, restaurant_id, party_size, start_at, end_at, status, assigned_zone_id "
     "from @extschema@.bookings where id OPERATOR(pg_catalog.=) $1",
     1, {U}},

    {"LoadLedger",
     "select table_ids, start_at, end_at, hold_id from @extschema@.booking_assignment_idempotency "
     "where booking_id OPERATOR(pg_catalog.=) $1 and idempotency_key OPERATOR(pg_catalog.=) $2",
     2, {U, TX}},

    {"LoadBookingAssignments",
     "select table_id, start_at, end_at, merge_group_id from @extschema@.booking_table_assignments "
     "where booking_id OPERATOR(pg_catalog.=) $1 order by table_id",
     1, {U}},

    {"LoadTables",
     "select id, restaurant_id, zone_id, table_number, capacity, mobility OPERATOR(pg_catalog.=) 'movable', "
     "active, status "
     "from @extschema@.table_inventory where id OPERATOR(pg_catalog.=) any ($1)",
     1, {UA}},

    {"LoadEdges",
     "select table_a, table_b from @extschema@.table_adjacencies "
     "where table_a OPERATOR(pg_catalog.=) any ($1) and table_b OPERATOR(pg_catalog.=) any ($1)",
     1, {UA}},

    {"LoadOccupants",
     "select false as is_hold, a.table_id, a.booking_id, null::uuid as hold_id, a.start_at, a.end_at, true as live "
     "from @extschema@.booking_table_assignments a "
     "where a.table_id OPERATOR(pg_catalog.=) any ($1) and a.booking_id OPERATOR(pg_catalog.<>) $2 "
     "and " WINDOW("a.start_at", "a.end_at") OVERLAPS WINDOW("$3", "$4") " "
     "union all "
     "select true, m.table_id, h.booking_id, h.id, m.start_at, m.end_at, "
     "h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() "
     "from @extschema@.table_hold_members m "
     "join @extschema@.table_holds h on h.id OPERATOR(pg_catalog.=) m.hold_id "
     "where m.table_id OPERATOR(pg_catalog.=) any ($1) "
     "and " WINDOW("m.start_at", "m.end_at") OVERLAPS WINDOW("$3", "$4"),
     4, {UA, U, TS, TS}},

    // Whether to mirror is read by the INSERT itself, not passed in: its snapshot is taken
    // after it has its table lock, so a writer blocked by allocator_repair_mirror (run when
    // set_allocator_flag turns dual-write back on) sees the new flag and mirrors its rows.
    {"InsertAssignments",
     "with inserted as ("
     "  insert into @extschema@.booking_table_assignments "
     "    (booking_id, table_id, start_at, end_at, merge_group_id, idempotency_key, assigned_by, restaurant_id) "
     "  select $1, t.table_id, $3, $4, $5, $6, $7, $8 from pg_catalog.unnest($2::uuid[]) as t(table_id) "
     "  returning id, booking_id, table_id, start_at, end_at, assigned_by), "
     "table_mirror as ("
     "  insert into @extschema@.allocations "
     "    (booking_id, restaurant_id, resource_type, resource_id, \"window\", created_by, assignment_id) "
     "  select i.booking_id, $8, 'table', i.table_id, " WINDOW("i.start_at", "i.end_at") ", i.assigned_by, i.id "
     "  from inserted i where " DUAL_WRITE_ON " returning 1), "
     "group_mirror as ("
     "  insert into @extschema@.allocations "
     "    (booking_id, restaurant_id, resource_type, resource_id, \"window\", created_by) "
     "  select $1, $8, 'merge_group', $5, " WINDOW("$3", "$4") ", $7 "
     "  where " DUAL_WRITE_ON " and $5 is not null and not exists ("
     "    select 1 from @extschema@.allocations g "
     "    where g.resource_type OPERATOR(pg_catalog.=) 'merge_group' and g.resource_id OPERATOR(pg_catalog.=) $5) "
     "  returning 1) "
     "select pg_catalog.count(*) from inserted",
     8, {U, UA, TS, TS, U, TX, U, U}},

    {"AdoptMergeGroup",
     "update @extschema@.booking_table_assignments set merge_group_id = $2 "
     "where booking_id OPERATOR(pg_catalog.=) $1 and merge_group_id is null",
     2, {U, U}},

    {"InsertLedger",
     "insert into @extschema@.booking_assignment_idempotency "
     "(booking_id, idempotency_key, table_ids, start_at, end_at, merge_group_id, hold_id) "
     "values ($1, $2, $3, $4, $5, $6, $7)",
     7, {U, TX, UA, TS, TS, U, U}},

    {"PinZone",
     "update @extschema@.bookings set assigned_zone_id = $2 "
     "where id OPERATOR(pg_catalog.=) $1 "
     "and (assigned_zone_id is null or assigned_zone_id OPERATOR(pg_catalog.<>) $2)",
     2, {U, U}},

    {"LoadAssignmentResult",
     "select table_id, start_at, end_at, merge_group_id from @extschema@.booking_table_assignments "
     "where booking_id OPERATOR(pg_catalog.=) $1 and table_id OPERATOR(pg_catalog.=) any ($2) order by table_id",
     2, {U, UA}},

    // Mirror rows go with their assignment through allocations.assignment_id's cascade; a
    // ledger row goes with any assignment it produced.
    {"DeleteAssignments",
     "with mirror as (" MIRROR_DELETE("assignment_id OPERATOR(pg_catalog.=) any ("
                                      "select id from @extschema@.booking_table_assignments "
                                      "where booking_id OPERATOR(pg_catalog.=) $1 "
                                      "and table_id OPERATOR(pg_catalog.=) any ($2))") "), "
     "removed as ("
     "  delete from @extschema@.booking_table_assignments "
     "  where booking_id OPERATOR(pg_catalog.=) $1 and table_id OPERATOR(pg_catalog.=) any ($2) "
     "  returning table_id), "
     "ledger as ("
     "  delete from @extschema@.booking_assignment_idempotency l "
     "  where l.booking_id OPERATOR(pg_catalog.=) $1 and l.table_ids OPERATOR(pg_catalog.&&) $2 "
     "  returning 1) "
     "select table_id from removed order by table_id",
     2, {U, UA}},

    // A merge group left with one table is no merge any more.
    {"DissolveSingleTableMergeGroups",
     "update @extschema@.booking_table_assignments a set merge_group_id = null "
     "where a.booking_id OPERATOR(pg_catalog.=) $1 and a.merge_group_id is not null "
     "and not exists (select 1 from @extschema@.booking_table_assignments o "
     "                where o.booking_id OPERATOR(pg_catalog.=) $1 "
     "                and o.merge_group_id OPERATOR(pg_catalog.=) a.merge_group_id "
     "                and o.id OPERATOR(pg_catalog.<>) a.id)",
     1, {U}},

    {"DeleteOrphanMergeGroups",
     "delete from @extschema@.allocations g "
     "where g.booking_id OPERATOR(pg_catalog.=) $1 and g.resource_type OPERATOR(pg_catalog.=) 'merge_group' "
     "and not exists (select 1 from @extschema@.booking_table_assignments a "
     "                where a.booking_id OPERATOR(pg_catalog.=) $1 "
     "                and a.merge_group_id OPERATOR(pg_catalog.=) g.resource_id)",
     1, {U}},

    {"ClearZonePinIfUnassigned",
     "update @extschema@.bookings set assigned_zone_id = null "
     "where id OPERATOR(pg_catalog.=) $1 and assigned_zone_id is not null "
     "and not exists (select 1 from @extschema@.booking_table_assignments a "
     "                where a.booking_id OPERATOR(pg_catalog.=) $1)",
     1, {U}},

    // Expired holds in the way of a new hold: removed under the tables' locks, as the
    // sweeper would have, with the same event.
    {"DeleteHolds",
     "with doomed as (select id from @extschema@.table_holds "
     "  where id OPERATOR(pg_catalog.=) any ($1) and expires_at OPERATOR(pg_catalog.<=) pg_catalog.now()), "
     HOLD_CHILDREN_DELETE
     "removed as (delete from @extschema@.table_holds h using doomed d "
     "  where h.id OPERATOR(pg_catalog.=) d.id returning h.*), "
     "events as (" HOLD_EVENT_INSERT("'hold.expired'", "pg_catalog.jsonb_build_object('removed_by', $2::text)")
     " returning 1) "
     "select pg_catalog.count(*) from removed",
     2, {UA, TX}},

    {"InsertHold",
     "with hold as ("
     "  insert into @extschema@.table_holds "
     "    (booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at, created_by, metadata) "
     "  values ($1, $2, $3, $4, $5, $6, pg_catalog.now() OPERATOR(pg_catalog.+) $7, $8, $9) returning *), "
     "members as ("
     "  insert into @extschema@.table_hold_members (hold_id, table_id, start_at, end_at) "
     "  select h.id, t.table_id, h.start_at, h.end_at from hold h, pg_catalog.unnest(h.table_ids) as t(table_id) "
     "  returning 1), "
     "mirror as ("
     "  insert into @extschema@.allocations "
     "    (booking_id, restaurant_id, resource_type, resource_id, \"window\", created_by, hold_id) "
     "  select h.booking_id, h.restaurant_id, 'hold', t.table_id, " WINDOW("h.start_at", "h.end_at") ", "
     "  h.created_by, h.id "
     "  from hold h, pg_catalog.unnest(h.table_ids) as t(table_id) where " DUAL_WRITE_ON " returning 1), "
     "events as ("
     "  insert into @extschema@.observability_events "
     "    (source, event_type, severity, restaurant_id, booking_id, context) "
     "  select 'capacity.hold', 'hold.created', 'info', h.restaurant_id, h.booking_id, "
     "  pg_catalog.jsonb_build_object('hold_id', h.id, 'table_ids', h.table_ids, 'start_at', h.start_at, "
     "  'end_at', h.end_at, 'expires_at', h.expires_at, 'created_by', h.created_by, 'session_user', session_user) "
     "  from hold h returning 1) "
     "select h.* from hold h",
     9, {U, U, U, UA, TS, TS, IV, U, JB}},

    {"LoadHold",
     "select id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, "
     "expires_at OPERATOR(pg_catalog.>) pg_catalog.now() "
     "from @extschema@.table_holds where id OPERATOR(pg_catalog.=) $1",
     1, {U}},

    // Row lock taken only after the tables' allocator locks (see holds.cpp), so a hold's
    // row lock is never held while waiting for an allocator lock.
    {"LoadHoldForUpdate",
     "select id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, "
     "expires_at OPERATOR(pg_catalog.>) pg_catalog.now() "
     "from @extschema@.table_holds where id OPERATOR(pg_catalog.=) $1 for update",
     1, {U}},

    {"DeleteHold",
     "with doomed as (select $1::uuid as id), "
     HOLD_CHILDREN_DELETE
     "removed as (delete from @extschema@.table_holds where id OPERATOR(pg_catalog.=) $1 returning *), "
     "events as (" HOLD_EVENT_INSERT("$2", "$3::jsonb") " returning 1) "
     "select pg_catalog.count(*) from removed",
     3, {U, TX, TX}},

    // Oldest first; SKIP LOCKED so concurrent sweepers split the backlog instead of
    // queueing on each other or processing a hold twice.
    {"SweepExpiredHolds",
     "with doomed as ("
     "  select id from @extschema@.table_holds where expires_at OPERATOR(pg_catalog.<=) pg_catalog.now() "
     "  order by expires_at, id limit $1 for update skip locked), "
     HOLD_CHILDREN_DELETE
     "removed as (delete from @extschema@.table_holds h using doomed d "
     "  where h.id OPERATOR(pg_catalog.=) d.id returning h.*), "
     "events as (" HOLD_EVENT_INSERT("'hold.expired'",
                                     "pg_catalog.jsonb_build_object('removed_by', 'sweep_expired_holds')")
     " returning 1) "
     "select pg_catalog.count(*) from removed",
     1, {I4}},

    // What access.cpp needs to know of a caller that is neither superuser nor owner: whether
    // role $1 has (or inherits) service or operator access, and, for a staff RPC, its
    // signed-in user and whether that user is staff of restaurant $2, or of booking $3's
    // restaurant when $2 is null (the restaurant is returned: null for no such booking). One
    // read, before any lock is taken (60_access.sql).
    {"LoadServiceAccess", "select " SERVICE_ACCESS("$1"), 1, {OIDOID}},
    {"LoadCallerAccess",
     "select " SERVICE_ACCESS("$1") ", u.id, "
     "       exists (select from @extschema@.allocator_staff s "
     "               where s.user_id OPERATOR(pg_catalog.=) u.id and s.restaurant_id OPERATOR(pg_catalog.=) r.id), "
     "       r.id "
     "from (select @extschema@.allocator_caller_user_id() as id) u, "
     "     (select coalesce($2, (select b.restaurant_id from @extschema@.bookings b "
     "                           where b.id OPERATOR(pg_catalog.=) $3)) as id) r",
     3, {OIDOID, U, U}},
}};

#undef OVERLAPS
#undef WINDOW
#undef HOLD_EVENT_INSERT
#undef HOLD_CHILDREN_DELETE
#undef MIRROR_DELETE
#undef DUAL_WRITE_ON
#undef SERVICE_ACCESS

}  // namespace

const StatementText& statement_text(Statement statement) {
    const auto index = static_cast<std::size_t>(statement);
    if (index >= kStatements.size()) throw std::logic_error("unknown statement");
    return kStatements[index];
}

}  // namespace allocator::pg
