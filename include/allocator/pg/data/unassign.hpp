// The data of unassign_tables_atomic: the booking and its assignments, read once it is
// locked, and the one write that removes tables. Between spi_connect() and spi_finish().
#pragma once

#include <optional>
#include <vector>

#include "allocator/core/assignment_plan.hpp"

namespace allocator::pg {

struct UnassignContext {
    std::optional<Uuid> restaurant_id;  // nullopt: no such booking
    bool zone_pinned = false;
    std::vector<ExistingAssignment> existing;
};

UnassignContext load_unassign_context(const Uuid& booking_id);

// The plan's deletes (assignments, their mirror rows and ledger rows, orphaned merge group
// mirror rows), dissolved merge groups and the cleared zone pin, in one statement. Returns
// the tables removed, sorted.
std::vector<Uuid> write_unassignment(const Uuid& booking_id, const UnassignmentPlan& plan);

}  // namespace allocator::pg
