// Auto-assignment's shared part (auto_plan.hpp).
#include "allocator/pg/auto_plan.hpp"

#include <string>

#include "allocator/core/errors.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/data/assign.hpp"
#include "allocator/pg/data/occupants.hpp"

namespace allocator::pg {

namespace {

PlanRequest planner_request(const FloorPlanRequest& r, const std::vector<Uuid>& taken, int count) {
    return PlanRequest{r.booking,
                       r.floor.tables,
                       r.floor.edges,
                       taken,
                       r.flags,
                       r.options.require_adjacency_argument,
                       r.options.preferred_zone,
                       r.options.max_tables,
                       count};
}

ErrorDetail no_plan_detail(const char* reason, const FloorPlanRequest& r) {
    ErrorDetail detail(reason);
    detail.add("booking_id", r.booking.id)
        .add("party_size", static_cast<long long>(r.booking.party_size))
        .add("window", r.window.to_string())
        .add("max_tables", static_cast<long long>(r.options.max_tables));
    return detail;
}

[[noreturn]] void throw_no_plan(const FloorPlanRequest& r) {
    const std::vector<Uuid> nothing_taken;
    if (!plan_tables(planner_request(r, nothing_taken, 1)).empty()) {
        throw AllocatorError(
            SqlState::ExclusionViolation,
            "every table plan for booking " + r.booking.id.to_string() + " is taken or held for the window",
            no_plan_detail("no_free_plan", r),
            "Another window, a higher p_max_tables, or quote_tables and manual_context to see "
            "what stands in the way.");
    }
    throw AllocatorError(
        SqlState::CheckViolation,
        "no table plan of the restaurant can seat booking " + r.booking.id.to_string() + " under the assignment rules",
        no_plan_detail("no_feasible_plan", r),
        "A higher p_max_tables, or check the zone pin, the tables' service status and the "
        "merges_enabled, require_adjacency and capacity_check flags.");
}

}  // namespace

PlanOptions plan_options_arg(FunctionCallInfo fcinfo, int first) {
    PlanOptions options;
    options.window = explicit_window(optional_timestamp_arg(fcinfo, first), optional_timestamp_arg(fcinfo, first + 1));
    options.max_tables = PG_ARGISNULL(first + 2) ? kDefaultTablesPerPlan : PG_GETARG_INT32(first + 2);
    check_plan_limits(options.max_tables, 1);
    options.require_adjacency_argument = bool_arg(fcinfo, first + 3, false);
    options.preferred_zone = optional_uuid_arg(fcinfo, first + 4);
    return options;
}

void require_auto_assign_enabled() {
    if (load_flags().auto_assign) return;
    throw AllocatorError(SqlState::CheckViolation, "auto-assignment is switched off (flag auto_assign is off)",
                         ErrorDetail("auto_assign_disabled"),
                         "Assign tables by hand (quote_tables still offers plans), or turn it back on with "
                         "set_allocator_flag('auto_assign', true, '<reason>').");
}

void check_not_seated(const Booking& booking, const std::vector<ExistingAssignment>& existing) {
    if (existing.empty()) return;
    throw AllocatorError(SqlState::CheckViolation,
                         "booking " + booking.id.to_string() + " already has " + std::to_string(existing.size()) +
                             " table(s); auto-assignment plans a booking that has none",
                         ErrorDetail("booking_already_seated")
                             .add("booking_id", booking.id)
                             .add("table_count", static_cast<long long>(existing.size())),
                         "Add tables with assign_tables_atomic_v2, or unassign_tables_atomic first to plan afresh.");
}

std::vector<TablePlan> plan_floor(const FloorPlanRequest& r, int count) {
    const std::vector<Uuid> taken =
        taken_tables(r.booking.id, r.window, load_occupants(r.floor.table_ids, r.booking.id, r.window), r.purpose);
    return plan_tables(planner_request(r, taken, count));
}

void auto_seat(LockBudget& locks, const FloorPlanRequest& r, const std::function<void(const TablePlan&)>& write) {
    for (;;) {
        const std::vector<TablePlan> plans = plan_floor(r, 1);
        if (plans.empty()) throw_no_plan(r);
        try {
            write(plans.front());
            return;
        } catch (const AllocatorError& e) {
            // Raised by the conflict check under the plan's locks, before anything was
            // written: another call seated or held one of its tables since the read above.
            if (e.state() != SqlState::ExclusionViolation || !locks.time_left()) throw;
        }
        LockBudget::unlock_tables(plans.front().tables);
    }
}

}  // namespace allocator::pg
