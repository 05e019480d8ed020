// What an assignment or an unassignment will write, decided from rows already loaded: the
// pure half of assign_tables_atomic_v2, confirm_table_hold and unassign_tables_atomic. The
// PostgreSQL layer loads the rows, takes the locks the plan names, and writes what it says.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/model.hpp"

namespace allocator {

// One row of an assign call's result: a table of the booking, its window and merge group.
struct AssignedRow {
    Uuid table_id;
    Window window;
    std::optional<Uuid> merge_group_id;
};

// The booking's rows for `tables` (sorted), as they are: an idempotent replay's result.
std::vector<AssignedRow> assigned_rows(const std::vector<Uuid>& tables,
                                       const std::vector<ExistingAssignment>& existing);

struct AssignmentInput {
    const Booking& booking;
    const std::vector<Uuid>& requested;               // sorted, distinct
    const Window& window;                             // the window to assign
    const std::vector<ExistingAssignment>& existing;  // the booking's assignments
    const std::vector<TableInfo>& tables;             // rows for requested ∪ existing tables
    const std::vector<AdjacencyEdge>& edges;          // edges among those tables
    const Flags& flags;
    bool require_adjacency_argument = false;
};

struct AssignmentPlan {
    // False when every requested table is already the booking's for this window: the call
    // succeeds and writes nothing (no table rule applies then, so a table that went out of
    // service since does not undo a retried call).
    bool writes = false;
    std::vector<Uuid> added;              // tables to insert, and the only ones to lock
    Uuid zone;                            // the one zone of the final set
    bool pin_zone = false;                // the booking's zone pin must be set to `zone`
    std::optional<Uuid> merge_group;      // of the booking's tables once it has more than one
    bool adopt_into_merge_group = false;  // the booking's earlier table joins a new group
    bool new_merge_group = false;         // merge_group was just created (its mirror row is new)
    std::vector<AssignedRow> result;      // the booking's rows for the requested tables afterwards
};

// Every table rule (check_table_set, tables_to_add) and the merge group: one per booking,
// the booking's own if it has one, else a new one (`new_merge_group_id()`) as soon as the
// booking holds more than one table. Throws as the rules do; conflicts with other bookings
// are checked later, under the tables' locks (check_assignment_conflicts).
AssignmentPlan plan_assignment(const AssignmentInput& input, const std::function<Uuid()>& new_merge_group_id);

struct UnassignmentPlan {
    std::vector<Uuid> removed;                // the booking's tables to delete (and lock), sorted
    std::vector<Uuid> dissolved;              // remaining tables left alone in their merge group
    std::vector<Uuid> kept_merge_groups;      // merge groups that still have two tables or more
    bool delete_orphan_merge_groups = false;  // the booking's other merge_group mirror rows go
    bool clear_zone_pin = false;              // the booking has no table left but a zone pin
    bool writes() const { return !removed.empty() || clear_zone_pin; }
};

// `requested` (sorted) or every table when nullopt; tables the booking does not have are
// ignored.
UnassignmentPlan plan_unassignment(const std::optional<std::vector<Uuid>>& requested,
                                   const std::vector<ExistingAssignment>& existing, bool zone_pinned);

}  // namespace allocator
