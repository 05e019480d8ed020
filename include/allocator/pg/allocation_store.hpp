// Loading allocator rows into core types and writing assignments: the SPI side of the
// rules in core/allocation_rules.hpp, shared by assign, confirm and the hold functions.
// All of it runs between spi_connect() and spi_finish().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/model.hpp"
#include "allocator/pg/locks.hpp"

namespace allocator::pg {

Flags load_flags();
// P0002 when the booking does not exist.
Booking load_booking(const Uuid& booking_id);
std::optional<LedgerEntry> load_ledger(const Uuid& booking_id, const std::string& key);
std::vector<ExistingAssignment> load_booking_assignments(const Uuid& booking_id);
std::vector<TableInfo> load_tables(const std::vector<Uuid>& ids);
std::vector<AdjacencyEdge> load_edges(const std::vector<Uuid>& ids);
// Assignments of bookings other than `booking_id`, and every hold member (live or not),
// on `tables` overlapping `window`.
std::vector<Occupant> load_occupants(const std::vector<Uuid>& tables, const std::optional<Uuid>& booking_id,
                                     const Window& window);

Uuid new_random_uuid();

struct AssignedRow {
    Uuid table_id;
    Window window;
    std::optional<Uuid> merge_group_id;
};

std::vector<AssignedRow> load_assignment_result(const Uuid& booking_id, const std::vector<Uuid>& tables);

struct AssignRequest {
    std::vector<Uuid> tables;  // sorted, distinct
    Window window;
    std::optional<std::string> idempotency_key;
    std::optional<Uuid> assigned_by;
    bool require_adjacency_argument = false;
    std::optional<Uuid> confirmed_hold_id;  // set by confirm_table_hold, kept in the ledger row
};

// With the booking locked and loaded (and the idempotency key already checked): applies
// every table rule, locks the tables, checks conflicts and writes assignments, mirror rows,
// the ledger row and the zone pin. Returns the booking's rows for the requested tables.
std::vector<AssignedRow> assign_locked(LockBudget& locks, const Booking& booking, const Flags& flags,
                                       const AssignRequest& request);

// Throws P0002 naming the booking.
[[noreturn]] void throw_booking_not_found(const Uuid& booking_id);

}  // namespace allocator::pg
