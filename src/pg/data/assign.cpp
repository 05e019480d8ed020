// SQL of an assignment: the context read and the assignment write (data/assign.hpp).
#include "allocator/pg/data/assign.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "allocator/core/errors.hpp"
#include "allocator/pg/data/floor.hpp"
#include "allocator/pg/index_read.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

std::vector<Uuid> sorted(std::vector<Uuid> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
}

// The context is read by index probes (index_read.hpp), not by a statement: one statement
// fetching all of it cost its executor start-up on every call, more than the probes.
// Each read names its columns, and the enum beside it their positions.

void read_booking(const ReadSnapshot& snapshot, const Uuid& booking_id, AllocationContext& out) {
    enum { kId, kRestaurant, kZone, kStart, kEnd, kPartySize, kStatus };
    TableRead bookings(snapshot, "bookings", "bookings_pkey",
                       {"id", "restaurant_id", "assigned_zone_id", "start_at", "end_at", "party_size", "status"});
    bookings.each({IndexKey::uuid(booking_id)}, [&] {
        out.booking =
            Booking{bookings.uuid(kId),           bookings.uuid(kRestaurant),
                    bookings.integer(kPartySize), Window{bookings.timestamp(kStart), bookings.timestamp(kEnd)},
                    bookings.text(kStatus),       bookings.optional_uuid(kZone)};
    });
    bookings.close();
}

void read_ledger(const ReadSnapshot& snapshot, const Uuid& booking_id, const std::string& key, AllocationContext& out) {
    enum { kTables, kStart, kEnd, kHold };
    TableRead ledger(snapshot, "booking_assignment_idempotency", "booking_assignment_idempotency_pkey",
                     {"table_ids", "start_at", "end_at", "hold_id"});
    ledger.each({IndexKey::uuid(booking_id), IndexKey::text(key)}, [&] {
        out.ledger = LedgerEntry{sorted(ledger.uuid_array(kTables)),
                                 Window{ledger.timestamp(kStart), ledger.timestamp(kEnd)}, ledger.optional_uuid(kHold)};
    });
    ledger.close();
}

void read_flags(const ReadSnapshot& snapshot, Flags& out) {
    enum { kName, kEnabled };
    TableRead flags(snapshot, "allocator_flags", nullptr, {"name", "enabled"});
    flags.each({}, [&] {
        const std::string name = flags.text(kName);
        const bool enabled = flags.boolean(kEnabled);
        if (name == "require_adjacency")
            out.require_adjacency = enabled;
        else if (name == "merges_enabled")
            out.merges_enabled = enabled;
        else if (name == "capacity_check")
            out.capacity_check = enabled;
        else if (name == "auto_assign")
            out.auto_assign = enabled;
    });
    flags.close();
}

void read_hold(const ReadSnapshot& snapshot, const Uuid& hold_id, AllocationContext& out) {
    enum { kId, kBooking, kRestaurant, kZone, kTables, kStart, kEnd, kExpires };
    TableRead holds(snapshot, "table_holds", "table_holds_pkey",
                    {"id", "booking_id", "restaurant_id", "zone_id", "table_ids", "start_at", "end_at", "expires_at"});
    holds.each({IndexKey::uuid(hold_id)}, [&] {
        HoldRecord hold;
        hold.id = holds.uuid(kId);
        hold.booking_id = holds.optional_uuid(kBooking);
        hold.restaurant_id = holds.uuid(kRestaurant);
        hold.zone_id = holds.uuid(kZone);
        hold.window = Window{holds.timestamp(kStart), holds.timestamp(kEnd)};
        // now(): the transaction's start, as the statements' expires_at > now().
        hold.live = holds.timestamp(kExpires) > GetCurrentTransactionStartTimestamp();
        hold.table_ids = sorted(holds.uuid_array(kTables));
        out.hold = std::move(hold);
    });
    holds.close();
}

void read_assignments(const ReadSnapshot& snapshot, const Uuid& booking_id, AllocationContext& out) {
    enum { kTable, kStart, kEnd, kMergeGroup };
    TableRead assignments(snapshot, "booking_table_assignments", "booking_table_assignments_booking_table_key",
                          {"table_id", "start_at", "end_at", "merge_group_id"});
    // The index is (booking_id, table_id): the rows come by table.
    assignments.each({IndexKey::uuid(booking_id)}, [&] {
        out.existing.push_back({assignments.uuid(kTable),
                                Window{assignments.timestamp(kStart), assignments.timestamp(kEnd)},
                                assignments.optional_uuid(kMergeGroup)});
    });
    assignments.close();
}

// `final` sorted and without duplicates.
void read_tables(const ReadSnapshot& snapshot, const std::vector<Uuid>& final, AllocationContext& out) {
    TableRead inventory(snapshot, "table_inventory", "table_inventory_pkey",
                        {"id", "restaurant_id", "zone_id", "capacity", "table_number", "status", "mobility", "active"});
    for (const Uuid& id : final) {
        inventory.each({IndexKey::uuid(id)}, [&] { out.tables.push_back(table_info_of(inventory, 0)); });
    }
    inventory.close();
}

// The edges among `final` (sorted, without duplicates). An undirected edge is stored once,
// either way round: every edge whose table_a is in the set is probed, then kept when its
// table_b is too.
void read_edges(const ReadSnapshot& snapshot, const std::vector<Uuid>& final, AllocationContext& out) {
    enum { kA, kB };
    TableRead edges(snapshot, "table_adjacencies", "table_adjacencies_pkey", {"table_a", "table_b"});
    for (const Uuid& id : final) {
        edges.each({IndexKey::uuid(id)}, [&] {
            const Uuid b = edges.uuid(kB);
            if (std::binary_search(final.begin(), final.end(), b)) out.edges.push_back({edges.uuid(kA), b});
        });
    }
    edges.close();
}

// The assignment write, one statement, prepared in three variants that hold only the parts
// a plan needs: every part of a statement costs its executor start-up on each run even when
// it writes no row, so a single-table assign does not carry the merge parts, nor a new
// merge group the adoption of the booking's earlier tables.
//
// Whether to mirror is read by the INSERT itself, not passed in: its snapshot is taken
// after it has its table lock, so a writer blocked by allocator_repair_mirror (run when
// set_allocator_flag turns dual-write back on) sees the new flag and mirrors its rows.
// $1 booking, $2 tables to add, $3-$4 window, $5 merge group, $6 idempotency key (null: no
// ledger row), $7 assigned_by, $8 restaurant, $9 adopt (the booking's ungrouped rows join
// $5), $10 requested tables, $11 confirmed hold, $12 zone to pin (null: pinned already).
// Every variant takes all twelve, used or not.
constexpr std::initializer_list<Oid> kWriteParameters = {UUIDOID, UUIDARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
                                                         UUIDOID, TEXTOID,      UUIDOID,        UUIDOID,
                                                         BOOLOID, UUIDARRAYOID, UUIDOID,        UUIDOID};

constexpr const char* kAdoptPart = R"sql(
adopted as (
    update @extschema@.booking_table_assignments a set merge_group_id = $5
     where $9 and a.booking_id OPERATOR(pg_catalog.=) $1 and a.merge_group_id is null
    returning 1),)sql";

constexpr const char* kInsertPart = R"sql(
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
    returning 1),)sql";

constexpr const char* kGroupMirrorPart = R"sql(
group_mirror as (
    insert into @extschema@.allocations
        (booking_id, restaurant_id, resource_type, resource_id, "window", created_by)
    select $1, $8, 'merge_group', $5, pg_catalog.tstzrange($3, $4, '[)'), $7
     where (select d.on from dual_write d) and $5 is not null and not exists (
           select from @extschema@.allocations g
            where g.resource_type OPERATOR(pg_catalog.=) 'merge_group' and g.resource_id OPERATOR(pg_catalog.=) $5)
    returning 1),)sql";

constexpr const char* kLedgerAndPinPart = R"sql(
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
)sql";

const std::string kWriteSingleSql = std::string("with") + kInsertPart + kLedgerAndPinPart;
const std::string kWriteMergeSql = std::string("with") + kInsertPart + kGroupMirrorPart + kLedgerAndPinPart;
const std::string kWriteMergeAdoptingSql =
    std::string("with") + kAdoptPart + kInsertPart + kGroupMirrorPart + kLedgerAndPinPart;

const Statement kWriteSingle{"write assignment", kWriteSingleSql.c_str(), kWriteParameters};
const Statement kWriteMerge{"write merge", kWriteMergeSql.c_str(), kWriteParameters};
const Statement kWriteMergeAdopting{"write merge adopting", kWriteMergeAdoptingSql.c_str(), kWriteParameters};

}  // namespace

AllocationContext load_allocation_context(const AllocationContextRequest& request) {
    ReadSnapshot snapshot;
    AllocationContext context;
    read_booking(snapshot, request.booking_id, context);
    if (request.idempotency_key) read_ledger(snapshot, request.booking_id, *request.idempotency_key, context);
    read_flags(snapshot, context.flags);
    if (request.hold_id) read_hold(snapshot, *request.hold_id, context);
    if (request.with_assignments) read_assignments(snapshot, request.booking_id, context);

    // The tables the rules look at: requested ∪ the hold's ∪ the booking's.
    std::vector<Uuid> final = request.tables;
    if (context.hold) final.insert(final.end(), context.hold->table_ids.begin(), context.hold->table_ids.end());
    for (const ExistingAssignment& a : context.existing) final.push_back(a.table_id);
    std::sort(final.begin(), final.end());
    final.erase(std::unique(final.begin(), final.end()), final.end());
    read_tables(snapshot, final, context);
    if (final.size() > 1) read_edges(snapshot, final, context);
    snapshot.release();
    return context;
}

Flags load_flags() {
    ReadSnapshot snapshot;
    Flags flags;
    read_flags(snapshot, flags);
    snapshot.release();
    return flags;
}

void write_assignment(const AssignmentWrite& w) {
    const std::optional<Uuid> zone_to_pin = w.plan.pin_zone ? std::optional<Uuid>(w.plan.zone) : std::nullopt;
    const Statement& write = !w.plan.merge_group             ? kWriteSingle
                             : w.plan.adopt_into_merge_group ? kWriteMergeAdopting
                                                             : kWriteMerge;
    write.execute({Param::of(w.booking.id), Param::of(w.plan.added), Param::of(w.window.start), Param::of(w.window.end),
                   Param::of(w.plan.merge_group), Param::of(w.idempotency_key), Param::of(w.assigned_by),
                   Param::of(w.booking.restaurant_id), Param::of(w.plan.adopt_into_merge_group), Param::of(w.requested),
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
