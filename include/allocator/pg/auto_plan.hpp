// Auto-assignment's part of the PostgreSQL layer (issue 11), shared by quote_tables,
// auto_assign_booking and auto_hold_tables: the planning arguments, the plans for a window
// of a floor as it is now, and the loop that writes the best plan under the locks of a
// manual call, planning again when another call took one of its tables first.
// Between spi_connect() and spi_finish(), except the argument readers.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/table_planner.hpp"
#include "allocator/pg/data/floor.hpp"
#include "allocator/pg/locks.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// p_start_at, p_end_at, p_max_tables, p_require_adjacency, p_preferred_zone_id: five
// arguments in a row from `first`, NULL meaning the default. 22023 for a bad window or
// p_max_tables outside 1..5.
struct PlanOptions {
    std::optional<Window> window;  // nullopt: the booking's
    int max_tables = kDefaultTablesPerPlan;
    bool require_adjacency_argument = false;
    std::optional<Uuid> preferred_zone;
};
PlanOptions plan_options_arg(FunctionCallInfo fcinfo, int first);

// 23514 auto_assign_disabled while the auto_assign flag is off; read before any lock.
void require_auto_assign_enabled();

// 23514 booking_already_seated when the booking has tables: the planner seats a booking
// that has none (docs/api.md#auto-assignment).
void check_not_seated(const Booking& booking, const std::vector<ExistingAssignment>& existing);

struct FloorPlanRequest {
    const Booking& booking;
    Floor& floor;  // its adjacency is read on the first plan that searches connected merges
    const Flags& flags;
    const PlanOptions& options;
    Window window;
    PlanPurpose purpose;
};

// The restaurant's tables. The adjacency is read later, by the planning below, and only when
// a merge must be connected (the require_adjacency flag or argument) and a merge could rank
// among the plans (plan_searches_merges): a booking that a single table seats exactly, the
// usual case, never pays a probe per table for it.
Floor load_plan_floor(const Booking& booking);

// The floor's rows of `tables`: what the assignment's rules read for a plan (the whole floor
// would cost them a lookup structure of every table on every write).
std::vector<TableInfo> rows_of(const Floor& floor, const std::vector<Uuid>& tables);

// The best `count` plans for the window with what occupies the floor now: one read of the
// restaurant's window (load_window_occupants), then the plans' own tables read again as a
// write reads them (load_occupants), planning again around any found taken there. Without
// locks; the write reads its tables once more under them. For quotes: auto_seat plans from
// the window read alone and lets the write's locked read find what it missed.
std::vector<TablePlan> plan_floor(const FloorPlanRequest& request, int count);

// Plans, then `write`s the best plan (which locks its tables and checks conflicts under
// them, exactly as the manual call). When the write meets a conflict (23P01: another call
// took a table first), gives the plan's table locks back and plans again, while the lock
// budget lasts; with no plan left, 23P01 no_free_plan (plans exist, all taken) or 23514
// no_feasible_plan (none even on an empty floor). A call that planned again and then wrote
// leaves an auto_assign.replanned event naming `function` (docs/telemetry.md).
void auto_seat(LockBudget& locks, const FloorPlanRequest& request, const char* function,
               const std::function<void(const TablePlan&)>& write);

}  // namespace allocator::pg
