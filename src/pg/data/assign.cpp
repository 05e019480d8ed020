// SQL of an assignment: the context read and the assignment write (data/assign.hpp).
#include "allocator/pg/data/assign.hpp"

#include <algorithm>
#include <string>

#include "allocator/core/errors.hpp"
#include "allocator/pg/data/floor.hpp"
#include "allocator/pg/direct_write.hpp"
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

// The assignment write. The rows are inserted and the zone pin is written directly
// (direct_write.hpp): a prepared statement of the same inserts cost its executor start-up and
// CTE machinery on every run, about a tenth of a merge, and the pin's UPDATE another twelfth
// of an assign. The adoption of the booking's ungrouped tables into a new merge group stays a
// statement, run only when a plan needs it.
const Statement kAdopt{"adopt into merge group",
                       R"sql(
update @extschema@.booking_table_assignments a set merge_group_id = $2
 where a.booking_id OPERATOR(pg_catalog.=) $1 and a.merge_group_id is null
)sql",
                       {UUIDOID, UUIDOID}};

enum { kAssignments, kAllocations, kLedger, kBookings };

// Whether to mirror, read on the write's snapshot, taken after its lock on allocations: a
// writer blocked by allocator_repair_mirror (run when set_allocator_flag turns dual-write
// back on) sees the new flag and mirrors its rows. No row: on, the column's default.
bool dual_write_on(Snapshot snapshot) {
    enum { kEnabled };
    bool on = true;
    TableRead flags(snapshot, "allocator_flags", "allocator_flags_pkey", {"enabled"});
    flags.each({IndexKey::text("allocations_dual_write")}, [&] { on = flags.boolean(kEnabled); });
    flags.close();
    return on;
}

bool merge_group_mirrored(Snapshot snapshot, const Uuid& merge_group) {
    bool found = false;
    TableRead mirror(snapshot, "allocations", "allocations_resource_idx", {"resource_type"});
    mirror.each({IndexKey::text("merge_group"), IndexKey::uuid(merge_group)}, [&] { found = true; });
    mirror.close();
    return found;
}

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
    const AssignmentPlan& plan = w.plan;
    if (plan.merge_group && plan.adopt_into_merge_group)
        kAdopt.execute({Param::of(w.booking.id), Param::of(*plan.merge_group)});

    // bookings is opened (with its indexes) only for a pin.
    DirectWrite write =
        plan.pin_zone
            ? DirectWrite({"booking_table_assignments", "allocations", "booking_assignment_idempotency", "bookings"})
            : DirectWrite({"booking_table_assignments", "allocations", "booking_assignment_idempotency"});
    // The pin first, as the statement it replaces ran before the inserts: a booking deleted
    // meanwhile is then refused by the inserts' foreign key (23503), as before. Its check of
    // the zone is the zone's row locked FOR KEY SHARE, taken here directly when it can be
    // (lock_referenced_rows says why).
    bool pinned = false;
    if (plan.pin_zone) {
        if (write.lock_referenced_rows("zones", {plan.zone}))
            write.skip_foreign_key_checks(kBookings, CMD_UPDATE, {{"assigned_zone_id", "zones"}},
                                          {"refuse_restaurant_change_while_seated"});
        pinned = write.update_column(kBookings, w.booking.id, "assigned_zone_id", Param::of(plan.zone));
    }
    if (!plan.added.empty()) {
        // Each assignment row's foreign-key checks would lock its booking's row and its table's
        // FOR KEY SHARE, through a query each. The write takes those locks itself, once a row,
        // opening each referenced table once (the pin has locked the booking already); whatever
        // it cannot lock cleanly, it leaves to the checks. Every mirror and ledger row names the
        // same booking, and a mirror row's assignment is a row of this write (hold_id is never
        // set here): their checks would only repeat work.
        const bool locked = (pinned || write.lock_referenced_rows("bookings", {w.booking.id})) &&
                            write.lock_referenced_rows("table_inventory", plan.added);
        if (locked)
            write.skip_foreign_key_checks(kAssignments, CMD_INSERT,
                                          {{"booking_id", "bookings"}, {"table_id", "table_inventory"}},
                                          {"booking_table_assignments_fill_restaurant"});
        write.skip_foreign_key_checks(
            kAllocations, CMD_INSERT,
            {{"booking_id", "bookings"}, {"assignment_id", "booking_table_assignments"}, {"hold_id", "table_holds"}});
        write.skip_foreign_key_checks(kLedger, CMD_INSERT, {{"booking_id", "bookings"}});
    }
    const bool mirror = dual_write_on(write.snapshot());
    const Param booking = Param::of(w.booking.id);
    const Param restaurant = Param::of(w.booking.restaurant_id);
    const Param start = Param::of(w.window.start);
    const Param end = Param::of(w.window.end);
    const Param merge_group = Param::of(plan.merge_group);
    const Param assigned_by = Param::of(w.assigned_by);
    const Param window = Param::of_datum(IndexKey::overlaps(w.window).value);
    for (const Uuid& table : plan.added) {
        const Param table_id = Param::of(table);
        write.insert(kAssignments, {{"booking_id", booking},
                                    {"table_id", table_id},
                                    {"start_at", start},
                                    {"end_at", end},
                                    {"merge_group_id", merge_group},
                                    {"idempotency_key", Param::of(w.idempotency_key)},
                                    {"assigned_by", assigned_by},
                                    {"restaurant_id", restaurant}});
        if (!mirror) continue;
        const Param assignment_id = Param::of(uuid_from_datum(write.inserted(kAssignments, "id")));
        write.insert(kAllocations, {{"booking_id", booking},
                                    {"restaurant_id", restaurant},
                                    {"resource_type", Param::of(std::string("table"))},
                                    {"resource_id", table_id},
                                    {"window", window},
                                    {"created_by", assigned_by},
                                    {"assignment_id", assignment_id}});
    }
    // A group this call just drew (a random uuid) has no mirror row yet: no need to look.
    if (mirror && plan.merge_group &&
        (plan.new_merge_group || !merge_group_mirrored(write.snapshot(), *plan.merge_group))) {
        write.insert(kAllocations, {{"booking_id", booking},
                                    {"restaurant_id", restaurant},
                                    {"resource_type", Param::of(std::string("merge_group"))},
                                    {"resource_id", merge_group},
                                    {"window", window},
                                    {"created_by", assigned_by}});
    }
    if (w.idempotency_key) {
        write.insert(kLedger, {{"booking_id", booking},
                               {"idempotency_key", Param::of(w.idempotency_key)},
                               {"table_ids", Param::of(w.requested)},
                               {"start_at", start},
                               {"end_at", end},
                               {"merge_group_id", merge_group},
                               {"hold_id", Param::of(w.confirmed_hold_id)}});
    }
    write.finish();
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
