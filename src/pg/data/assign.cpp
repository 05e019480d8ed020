// SQL of an assignment: the context read and the assignment write (data/assign.hpp).
#include "allocator/pg/data/assign.hpp"

#include <algorithm>

#include "allocator/core/errors.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// Everything the rules need, in one statement: one row per fact, `kind` saying which, over
// one set of columns (u1-u4 uuids, t1-t2 timestamps, n an integer, s1-s2 text, f1-f2
// booleans, ids a uuid[]); the reader below names what each column holds for each kind.
// $1 booking, $2 requested tables, $3 idempotency key, $4 hold, $5 with the booking's
// assignments. The tables read are the final set: requested ∪ the hold's ∪ the booking's.
enum ContextRow { kBooking = 1, kLedger, kFlag, kAssignment, kTable, kEdge, kHold };

const Statement kLoadContext{"load allocation context",
                             R"sql(
with hold as (
    select h.id, h.booking_id, h.restaurant_id, h.zone_id, h.table_ids, h.start_at, h.end_at,
           h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() as live
    from @extschema@.table_holds h where h.id OPERATOR(pg_catalog.=) $4),
assigned as (
    select a.table_id, a.start_at, a.end_at, a.merge_group_id
    from @extschema@.booking_table_assignments a
    where $5 and a.booking_id OPERATOR(pg_catalog.=) $1),
final as (
    select r.id from pg_catalog.unnest($2) as r(id)
    union select pg_catalog.unnest(h.table_ids) from hold h
    union select a.table_id from assigned a)
select 1 as kind, b.id as u1, b.restaurant_id as u2, b.assigned_zone_id as u3, null::uuid as u4,
       b.start_at as t1, b.end_at as t2, b.party_size as n, b.status as s1, null::text as s2,
       null::boolean as f1, null::boolean as f2, null::uuid[] as ids
  from @extschema@.bookings b where b.id OPERATOR(pg_catalog.=) $1
union all
select 2, l.hold_id, null, null, null, l.start_at, l.end_at, null, null, null, null, null, l.table_ids
  from @extschema@.booking_assignment_idempotency l
 where l.booking_id OPERATOR(pg_catalog.=) $1 and l.idempotency_key OPERATOR(pg_catalog.=) $3
union all
select 3, null, null, null, null, null, null, null, f.name, null, f.enabled, null, null
  from @extschema@.allocator_flags f
union all
select 4, a.table_id, a.merge_group_id, null, null, a.start_at, a.end_at, null, null, null, null, null, null
  from assigned a
union all
select 5, t.id, t.restaurant_id, t.zone_id, null, null, null, t.capacity, t.table_number, t.status,
       t.mobility OPERATOR(pg_catalog.=) 'movable', t.active, null
  from @extschema@.table_inventory t where t.id OPERATOR(pg_catalog.=) any (select f.id from final f)
union all
select 6, e.table_a, e.table_b, null, null, null, null, null, null, null, null, null, null
  from @extschema@.table_adjacencies e
 where (select pg_catalog.count(*) from final) OPERATOR(pg_catalog.>) 1
   and e.table_a OPERATOR(pg_catalog.=) any (select f.id from final f)
   and e.table_b OPERATOR(pg_catalog.=) any (select f.id from final f)
union all
select 7, h.id, h.booking_id, h.restaurant_id, h.zone_id, h.start_at, h.end_at, null, null, null, h.live, null,
       h.table_ids
  from hold h
)sql",
                             {UUIDOID, UUIDARRAYOID, TEXTOID, UUIDOID, BOOLOID}};

// Columns of kLoadContext's rows, by position.
enum ContextColumn { kKind = 1, kU1, kU2, kU3, kU4, kT1, kT2, kN, kS1, kS2, kF1, kF2, kIds };

std::vector<Uuid> sorted(std::vector<Uuid> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
}

void read_context_row(const Row& r, AllocationContext& out) {
    switch (r.integer(kKind)) {
        case kBooking:
            out.booking =
                Booking{r.uuid(kU1), r.uuid(kU2),         r.integer(kN), Window{r.timestamp(kT1), r.timestamp(kT2)},
                        r.text(kS1), r.optional_uuid(kU3)};
            break;
        case kLedger:
            out.ledger = LedgerEntry{sorted(r.uuid_array(kIds)), Window{r.timestamp(kT1), r.timestamp(kT2)},
                                     r.optional_uuid(kU1)};
            break;
        case kFlag: {
            const std::string name = r.text(kS1);
            const bool enabled = r.boolean(kF1);
            if (name == "require_adjacency")
                out.flags.require_adjacency = enabled;
            else if (name == "merges_enabled")
                out.flags.merges_enabled = enabled;
            else if (name == "capacity_check")
                out.flags.capacity_check = enabled;
            break;
        }
        case kAssignment:
            out.existing.push_back({r.uuid(kU1), Window{r.timestamp(kT1), r.timestamp(kT2)}, r.optional_uuid(kU2)});
            break;
        case kTable: {
            TableInfo t;
            t.id = r.uuid(kU1);
            t.restaurant_id = r.uuid(kU2);
            t.zone_id = r.uuid(kU3);
            t.capacity = r.integer(kN);
            t.table_number = r.text(kS1);
            t.status = r.text(kS2);
            t.movable = r.boolean(kF1);
            t.active = r.boolean(kF2);
            out.tables.push_back(std::move(t));
            break;
        }
        case kEdge:
            out.edges.push_back({r.uuid(kU1), r.uuid(kU2)});
            break;
        case kHold: {
            HoldRecord hold;
            hold.id = r.uuid(kU1);
            hold.booking_id = r.optional_uuid(kU2);
            hold.restaurant_id = r.uuid(kU3);
            hold.zone_id = r.uuid(kU4);
            hold.window = Window{r.timestamp(kT1), r.timestamp(kT2)};
            hold.live = r.boolean(kF1);
            hold.table_ids = sorted(r.uuid_array(kIds));
            out.hold = std::move(hold);
            break;
        }
        default:
            throw std::logic_error("unknown allocation context row");
    }
}

// Whether to mirror is read by the INSERT itself, not passed in: its snapshot is taken
// after it has its table lock, so a writer blocked by allocator_repair_mirror (run when
// set_allocator_flag turns dual-write back on) sees the new flag and mirrors its rows.
// $1 booking, $2 tables to add, $3-$4 window, $5 merge group, $6 idempotency key (null: no
// ledger row), $7 assigned_by, $8 restaurant, $9 adopt (the booking's ungrouped rows join
// $5), $10 requested tables, $11 confirmed hold, $12 zone to pin (null: pinned already).
const Statement kWriteAssignment{"write assignment",
                                 R"sql(
with adopted as (
    update @extschema@.booking_table_assignments a set merge_group_id = $5
     where $9 and a.booking_id OPERATOR(pg_catalog.=) $1 and a.merge_group_id is null
    returning 1),
inserted as (
    insert into @extschema@.booking_table_assignments
        (booking_id, table_id, start_at, end_at, merge_group_id, idempotency_key, assigned_by, restaurant_id)
    select $1, t.table_id, $3, $4, $5, $6, $7, $8 from pg_catalog.unnest($2::uuid[]) as t(table_id)
    returning id, table_id),
dual_write as (
    select coalesce((select f.enabled from @extschema@.allocator_flags f
                      where f.name OPERATOR(pg_catalog.=) 'allocations_dual_write'), true) as on),
table_mirror as (
    insert into @extschema@.allocations
        (booking_id, restaurant_id, resource_type, resource_id, "window", created_by, assignment_id)
    select $1, $8, 'table', i.table_id, pg_catalog.tstzrange($3, $4, '[)'), $7, i.id
      from inserted i where (select d.on from dual_write d)
    returning 1),
group_mirror as (
    insert into @extschema@.allocations
        (booking_id, restaurant_id, resource_type, resource_id, "window", created_by)
    select $1, $8, 'merge_group', $5, pg_catalog.tstzrange($3, $4, '[)'), $7
     where (select d.on from dual_write d) and $5 is not null and not exists (
           select from @extschema@.allocations g
            where g.resource_type OPERATOR(pg_catalog.=) 'merge_group' and g.resource_id OPERATOR(pg_catalog.=) $5)
    returning 1),
ledger as (
    insert into @extschema@.booking_assignment_idempotency
        (booking_id, idempotency_key, table_ids, start_at, end_at, merge_group_id, hold_id)
    select $1, $6, $10, $3, $4, $5, $11 where $6 is not null
    returning 1),
pinned as (
    update @extschema@.bookings set assigned_zone_id = $12
     where $12 is not null and id OPERATOR(pg_catalog.=) $1
       and (assigned_zone_id is null or assigned_zone_id OPERATOR(pg_catalog.<>) $12)
    returning 1)
select pg_catalog.count(*) from inserted
)sql",
                                 {UUIDOID, UUIDARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID, TEXTOID, UUIDOID,
                                  UUIDOID, BOOLOID, UUIDARRAYOID, UUIDOID, UUIDOID}};

}  // namespace

AllocationContext load_allocation_context(const AllocationContextRequest& request) {
    Rows rows = kLoadContext.execute({Param::of(request.booking_id), Param::of(request.tables),
                                      Param::of(request.idempotency_key), Param::of(request.hold_id),
                                      Param::of(request.with_assignments)});
    AllocationContext context;
    for (uint64 i = 0; i < rows.size(); ++i) read_context_row(rows[i], context);
    std::sort(context.existing.begin(), context.existing.end(),
              [](const ExistingAssignment& x, const ExistingAssignment& y) { return x.table_id < y.table_id; });
    return context;
}

void write_assignment(const AssignmentWrite& w) {
    const std::optional<Uuid> zone_to_pin = w.plan.pin_zone ? std::optional<Uuid>(w.plan.zone) : std::nullopt;
    kWriteAssignment.execute({Param::of(w.booking.id), Param::of(w.plan.added), Param::of(w.window.start),
                              Param::of(w.window.end), Param::of(w.plan.merge_group), Param::of(w.idempotency_key),
                              Param::of(w.assigned_by), Param::of(w.booking.restaurant_id),
                              Param::of(w.plan.adopt_into_merge_group), Param::of(w.requested),
                              Param::of(w.confirmed_hold_id), Param::of(zone_to_pin)});
}

void throw_booking_not_found(const Uuid& booking_id) {
    throw AllocatorError(SqlState::NotFound, "booking " + booking_id.to_string() + " does not exist",
                         ErrorDetail("booking_not_found").add("booking_id", booking_id),
                         "Check the booking id against bookings.");
}

const Booking& require_booking(const std::optional<Booking>& booking, const Uuid& booking_id) {
    if (!booking) throw_booking_not_found(booking_id);
    return *booking;
}

}  // namespace allocator::pg
