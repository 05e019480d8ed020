// The data of an assignment (assign_tables_atomic_v2, confirm_table_hold) and of a new hold:
// one read of everything the rules need once the booking is locked, and the one write of an
// assignment. Between spi_connect() and spi_finish().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/assignment_plan.hpp"
#include "allocator/core/hold_rules.hpp"
#include "allocator/core/model.hpp"

namespace allocator::pg {

struct AllocationContext {
    std::optional<Booking> booking;     // nullopt: no such booking
    std::optional<LedgerEntry> ledger;  // the row of (booking, key), when a key is given
    std::optional<HoldRecord> hold;     // the hold asked for, when one is
    Flags flags;
    std::vector<ExistingAssignment> existing;  // the booking's assignments, when asked for
    std::vector<TableInfo> tables;             // requested ∪ hold's ∪ existing tables
    std::vector<AdjacencyEdge> edges;          // among those tables, when there are two or more
};

struct AllocationContextRequest {
    const Uuid& booking_id;
    const std::vector<Uuid>& tables;  // requested tables (may be empty)
    const std::optional<std::string>& idempotency_key;
    std::optional<Uuid> hold_id;
    bool with_assignments = true;  // false for a new hold: the booking's tables don't count
};

AllocationContext load_allocation_context(const AllocationContextRequest& request);

// The flags alone, as load_allocation_context reads them: auto-assignment's first read.
Flags load_flags();

struct AssignmentWrite {
    const Booking& booking;
    const AssignmentPlan& plan;
    const Window& window;
    const std::vector<Uuid>& requested;                 // the ledger row's tables
    const std::optional<std::string>& idempotency_key;  // nullopt: no ledger row
    const std::optional<Uuid>& assigned_by;
    const std::optional<Uuid>& confirmed_hold_id;  // kept in the ledger row
};

// The plan's assignments, their mirror rows (while allocations_dual_write is on), the
// merge group's adoption and mirror row, the ledger row and the zone pin: the rows and the pin
// written directly (direct_write.hpp), the adoption as a statement when the plan needs it.
void write_assignment(const AssignmentWrite& write);

// P0002 naming the booking.
[[noreturn]] void throw_booking_not_found(const Uuid& booking_id);

// P0002 naming the booking unless it was found.
const Booking& require_booking(const std::optional<Booking>& booking, const Uuid& booking_id);

}  // namespace allocator::pg
