// The business rules of docs/api.md over rows already loaded: which booking may be
// seated, which table sets are acceptable, what conflicts, what an idempotency key means.
// Each check throws AllocatorError with the contract's SQLSTATE; none touches a database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/model.hpp"

namespace allocator {

// 23514 when the booking is cancelled, completed or a no-show.
void check_booking_assignable(const Booking& booking);

// A ledger row for (booking, key) exists: true means replay the stored result; a different
// table set or window throws 22023 with reason idempotency_mismatch.
void check_idempotent_replay(const LedgerEntry& stored, const std::vector<Uuid>& tables, const Window& window,
                             const std::string& key);

// One of the booking's current assignments.
struct ExistingAssignment {
    Uuid table_id;
    Window window;
    std::optional<Uuid> merge_group_id;
};

struct TableSetCheck {
    const Booking& booking;
    const std::vector<Uuid>& requested;               // sorted, distinct
    const std::vector<ExistingAssignment>& existing;  // the booking's assignments
    const std::vector<TableInfo>& tables;             // rows for requested ∪ existing tables
    const std::vector<AdjacencyEdge>& edges;          // edges among those tables
    const Flags& flags;
    bool require_adjacency_argument = false;
};

// Every rule about the tables themselves (existence, restaurant, availability, one zone,
// zone pin, merges, adjacency connectivity, capacity). The final set is what the booking
// will hold afterwards: its existing tables plus the requested ones. Returns the zone.
Uuid check_table_set(const TableSetCheck& input);

// True when every requested table is already the booking's for exactly this window: the
// call succeeds and writes nothing.
bool already_assigned(const std::vector<Uuid>& requested, const std::vector<ExistingAssignment>& existing,
                      const Window& window);

// Requested tables the booking does not have yet. Throws 23514 assigned_for_other_window when
// the booking already has one of them for a different window (a booking holds a table once),
// or when there are tables to add and the booking already has any table for a different
// window (all tables of a booking share one window, the window of its merge group).
std::vector<Uuid> tables_to_add(const std::vector<Uuid>& requested, const std::vector<ExistingAssignment>& existing,
                                const Window& window);

// Whether `o` stands in the way of seating `booking_id` for `window`: the occupants
// check_assignment_conflicts reports (another booking's overlapping assignment or live hold),
// and those check_hold_conflicts reports for a new hold (also the booking's own live holds).
// The planner reads taken tables through the same two predicates.
bool blocks_assignment(const Occupant& o, const Uuid& booking_id, const Window& window);
bool blocks_hold(const Occupant& o, const std::optional<Uuid>& booking_id, const Window& window);

// Conflicts for an assignment: another booking's overlapping assignment, or another
// booking's overlapping live hold (expired holds never block). Throws 23P01.
void check_assignment_conflicts(const Booking& booking, const Window& window, const std::vector<Occupant>& occupants);

// Conflicts for a new hold: as for an assignment, and any overlapping live hold, the
// booking's own included. Returns the expired holds in the way, which the caller deletes
// under the same locks (they would still trip the members' exclusion constraint).
std::vector<Uuid> check_hold_conflicts(const std::optional<Uuid>& booking_id, const Window& window,
                                       const std::vector<Occupant>& occupants);

}  // namespace allocator
