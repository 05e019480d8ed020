// Plain rows the PostgreSQL layer loads and the rules reason over. No PostgreSQL types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"

namespace allocator {

struct Booking {
    Uuid id;
    Uuid restaurant_id;
    int party_size = 0;
    Window window;
    std::string status;
    std::optional<Uuid> assigned_zone_id;
};

struct TableInfo {
    Uuid id;
    Uuid restaurant_id;
    Uuid zone_id;
    std::string table_number;
    int capacity = 0;
    bool movable = false;
    bool active = true;
    std::string status;
};

// Read by every call so a flip takes effect on every pooled connection at once.
// (allocations_dual_write is read by the writing statements themselves: src/pg/data/assign.cpp.)
struct Flags {
    bool require_adjacency = false;
    bool merges_enabled = true;
    bool capacity_check = true;
    bool auto_assign = true;  // quote_tables ignores it; auto_assign_booking / auto_hold_tables refuse while off
};

// Something occupying a table during a window: an assignment or a hold member.
struct Occupant {
    enum class Kind { Assignment, Hold };
    Kind kind = Kind::Assignment;
    Uuid table_id;
    std::optional<Uuid> booking_id;  // holds may have no booking
    std::optional<Uuid> hold_id;     // set for holds
    Window window;
    bool live = true;  // holds: expires_at > now(); assignments: always
};

struct AdjacencyEdge {
    Uuid a;
    Uuid b;
};

// One row of the idempotency ledger.
struct LedgerEntry {
    std::vector<Uuid> table_ids;  // sorted
    Window window;
    std::optional<Uuid> hold_id;  // the hold confirm_table_hold turned into this assignment
};

}  // namespace allocator
