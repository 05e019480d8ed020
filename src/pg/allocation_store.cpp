#include "allocator/pg/allocation_store.hpp"

#include <algorithm>

#include "allocator/core/errors.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

Flags load_flags() {
    Flags flags;
    Rows rows = execute(Statement::LoadFlags, {});
    for (uint64 i = 0; i < rows.size(); ++i) {
        const std::string name = rows[i].text(1);
        const bool enabled = rows[i].boolean(2);
        if (name == "require_adjacency") flags.require_adjacency = enabled;
        else if (name == "merges_enabled") flags.merges_enabled = enabled;
        else if (name == "capacity_check") flags.capacity_check = enabled;
    }
    return flags;
}

void throw_booking_not_found(const Uuid& booking_id) {
    throw AllocatorError(SqlState::NotFound, "booking " + booking_id.to_string() + " does not exist",
                         ErrorDetail("booking_not_found").add("booking_id", booking_id),
                         "Check the booking id against bookings.");
}

Booking load_booking(const Uuid& booking_id) {
    Rows rows = execute(Statement::LoadBooking, {Param::of(booking_id)});
    if (rows.empty()) throw_booking_not_found(booking_id);
    Row r = rows[0];
    Booking b;
    b.id = r.uuid(1);
    b.restaurant_id = r.uuid(2);
    b.party_size = r.integer(3);
    b.window = Window{r.timestamp(4), r.timestamp(5)};
    b.status = r.text(6);
    b.assigned_zone_id = r.optional_uuid(7);
    return b;
}

std::optional<LedgerEntry> load_ledger(const Uuid& booking_id, const std::string& key) {
    Rows rows = execute(Statement::LoadLedger, {Param::of(booking_id), Param::of(key)});
    if (rows.empty()) return std::nullopt;
    LedgerEntry entry;
    entry.table_ids = rows[0].uuid_array(1);
    std::sort(entry.table_ids.begin(), entry.table_ids.end());
    entry.window = Window{rows[0].timestamp(2), rows[0].timestamp(3)};
    entry.hold_id = rows[0].optional_uuid(4);
    return entry;
}

std::vector<ExistingAssignment> load_booking_assignments(const Uuid& booking_id) {
    Rows rows = execute(Statement::LoadBookingAssignments, {Param::of(booking_id)});
    std::vector<ExistingAssignment> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) {
        Row r = rows[i];
        out.push_back({r.uuid(1), Window{r.timestamp(2), r.timestamp(3)}, r.optional_uuid(4)});
    }
    return out;
}

std::vector<TableInfo> load_tables(const std::vector<Uuid>& ids) {
    Rows rows = execute(Statement::LoadTables, {Param::of(ids)});
    std::vector<TableInfo> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) {
        Row r = rows[i];
        TableInfo t;
        t.id = r.uuid(1);
        t.restaurant_id = r.uuid(2);
        t.zone_id = r.uuid(3);
        t.table_number = r.text(4);
        t.capacity = r.integer(5);
        t.movable = r.boolean(6);
        t.active = r.boolean(7);
        t.status = r.text(8);
        out.push_back(std::move(t));
    }
    return out;
}

std::vector<AdjacencyEdge> load_edges(const std::vector<Uuid>& ids) {
    Rows rows = execute(Statement::LoadEdges, {Param::of(ids)});
    std::vector<AdjacencyEdge> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) out.push_back({rows[i].uuid(1), rows[i].uuid(2)});
    return out;
}

std::vector<Occupant> load_occupants(const std::vector<Uuid>& tables, const std::optional<Uuid>& booking_id,
                                     const Window& window) {
    Rows rows = execute(Statement::LoadOccupants, {Param::of(tables), Param::of(booking_id),
                                                   Param::of(window.start), Param::of(window.end)});
    std::vector<Occupant> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) {
        Row r = rows[i];
        Occupant o;
        o.kind = r.boolean(1) ? Occupant::Kind::Hold : Occupant::Kind::Assignment;
        o.table_id = r.uuid(2);
        o.booking_id = r.optional_uuid(3);
        o.hold_id = r.optional_uuid(4);
        o.window = Window{r.timestamp(5), r.timestamp(6)};
        o.live = r.boolean(7);
        out.push_back(o);
    }
    return out;
}

Uuid new_random_uuid() {
    Uuid id;
    pg_call([&] {
        if (!pg_strong_random(id.bytes.data(), id.bytes.size()))
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random values")));
    });
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return id;
}

std::vector<AssignedRow> load_assignment_result(const Uuid& booking_id, const std::vector<Uuid>& tables) {
    Rows rows = execute(Statement::LoadAssignmentResult, {Param::of(booking_id), Param::of(tables)});
    std::vector<AssignedRow> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) {
        Row r = rows[i];
        out.push_back({r.uuid(1), Window{r.timestamp(2), r.timestamp(3)}, r.optional_uuid(4)});
    }
    return out;
}

std::vector<AssignedRow> assign_locked(LockBudget& locks, const Booking& booking, const Flags& flags,
                                       const AssignRequest& request) {
    const std::vector<ExistingAssignment> existing = load_booking_assignments(booking.id);
    if (already_assigned(request.tables, existing, request.window))
        return load_assignment_result(booking.id, request.tables);

    std::vector<Uuid> final_set = request.tables;
    for (const ExistingAssignment& e : existing) final_set.push_back(e.table_id);
    std::sort(final_set.begin(), final_set.end());
    final_set.erase(std::unique(final_set.begin(), final_set.end()), final_set.end());

    const std::vector<TableInfo> tables = load_tables(final_set);
    const bool adjacency_needed = final_set.size() > 1 && (request.require_adjacency_argument || flags.require_adjacency);
    const std::vector<AdjacencyEdge> edges = adjacency_needed ? load_edges(final_set) : std::vector<AdjacencyEdge>{};
    const Uuid zone = check_table_set(TableSetCheck{booking, request.tables, existing, tables, edges, flags,
                                                    request.require_adjacency_argument});
    const std::vector<Uuid> added = tables_to_add(request.tables, existing, request.window);

    locks.lock_tables(added);
    check_assignment_conflicts(booking, request.window, load_occupants(added, booking.id, request.window));

    // One merge group per booking: reuse the booking's, or start one when it now has
    // more than one table (its earlier single table joins the group).
    std::optional<Uuid> merge_group;
    for (const ExistingAssignment& e : existing) {
        if (e.merge_group_id) {
            merge_group = e.merge_group_id;
            break;
        }
    }
    if (!merge_group && final_set.size() > 1) {
        merge_group = new_random_uuid();
        if (!existing.empty())
            execute(Statement::AdoptMergeGroup, {Param::of(booking.id), Param::of(*merge_group)});
    }

    execute(Statement::InsertAssignments,
            {Param::of(booking.id), Param::of(added), Param::of(request.window.start), Param::of(request.window.end),
             Param::of(merge_group), Param::of(request.idempotency_key), Param::of(request.assigned_by),
             Param::of(booking.restaurant_id)});
    if (request.idempotency_key) {
        execute(Statement::InsertLedger,
                {Param::of(booking.id), Param::of(*request.idempotency_key), Param::of(request.tables),
                 Param::of(request.window.start), Param::of(request.window.end), Param::of(merge_group),
                 Param::of(request.confirmed_hold_id)});
    }
    execute(Statement::PinZone, {Param::of(booking.id), Param::of(zone)});
    return load_assignment_result(booking.id, request.tables);
}

}  // namespace allocator::pg
