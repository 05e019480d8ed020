// Writing an assignment once the booking is locked and its context read: shared by
// assign_tables_atomic_v2 and confirm_table_hold. Between spi_connect() and spi_finish().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/assignment_plan.hpp"
#include "allocator/pg/data/assign.hpp"
#include "allocator/pg/locks.hpp"

namespace allocator::pg {

struct AssignRequest {
    std::vector<Uuid> tables;  // sorted, distinct
    Window window;
    std::optional<std::string> idempotency_key;
    std::optional<Uuid> assigned_by;
    bool require_adjacency_argument = false;
    std::optional<Uuid> confirmed_hold_id;  // set by confirm_table_hold, kept in the ledger row
};

// With the booking locked and its context loaded (and the idempotency key already
// checked): plans the assignment (every table rule), locks the tables it adds, checks
// conflicts under those locks and writes. Returns the booking's rows for the requested
// tables.
std::vector<AssignedRow> assign_locked(LockBudget& locks, const AllocationContext& context,
                                       const AssignRequest& request);

}  // namespace allocator::pg
