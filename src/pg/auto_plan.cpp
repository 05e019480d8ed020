// Auto-assignment's shared part (auto_plan.hpp).
#include "allocator/pg/auto_plan.hpp"

#include <algorithm>
#include <string>

#include "allocator/core/errors.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/data/assign.hpp"
#include "allocator/pg/data/occupants.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// The plans for `taken`, with the floor's adjacency read first when the search will use it.
std::vector<TablePlan> plans_for(const FloorPlanRequest& r, const std::vector<Uuid>& taken, int count,
                                 const std::vector<Occupant>* nearby = nullptr) {
    const PlanRequest request{r.booking,
                              r.floor.tables,
                              r.floor.edges,
                              taken,
                              r.flags,
                              r.options.require_adjacency_argument,
                              r.options.preferred_zone,
                              r.options.max_tables,
                              count,
                              nearby,
                              r.window};
    const bool connected = r.flags.require_adjacency || r.options.require_adjacency_argument;
    if (connected && !r.floor.edges_read && plan_searches_merges(request)) read_floor_edges(r.floor);
    return plan_tables(request);
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
    if (!plans_for(r, nothing_taken, 1).empty()) {
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

// The tables of `plans`, sorted and distinct.
std::vector<Uuid> tables_of(const std::vector<TablePlan>& plans) {
    std::vector<Uuid> tables;
    for (const TablePlan& plan : plans) tables.insert(tables.end(), plan.tables.begin(), plan.tables.end());
    std::sort(tables.begin(), tables.end());
    tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
    return tables;
}

// $1 function, $2 restaurant, $3 booking, $4 replans, $5 tables lost to other calls, $6 the
// tables written, $7-$8 window. In the caller's transaction: it exists when the call committed.
const Statement kReplannedEvent{
    "auto-assign replanned",
    R"sql(
insert into @extschema@.observability_events (source, event_type, severity, restaurant_id, booking_id, context)
values ('capacity.selector', 'auto_assign.replanned', 'info', $2, $3,
        pg_catalog.jsonb_build_object('function', $1, 'replans', $4, 'lost_table_ids', $5, 'table_ids', $6,
            'start_at', $7, 'end_at', $8, 'session_user', session_user))
)sql",
    {TEXTOID, UUIDOID, UUIDOID, INT4OID, UUIDARRAYOID, UUIDARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID}};

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

Floor load_plan_floor(const Booking& booking) {
    return load_floor(booking.restaurant_id);
}

std::vector<TableInfo> rows_of(const Floor& floor, const std::vector<Uuid>& tables) {
    std::vector<TableInfo> rows;
    rows.reserve(tables.size());
    for (const TableInfo& t : floor.tables) {
        if (std::find(tables.begin(), tables.end(), t.id) != tables.end()) rows.push_back(t);
    }
    return rows;
}

namespace {

// The plans from one read of the restaurant's window, with `also_taken` (tables found taken
// since) planned around.
std::vector<TablePlan> plan_window(const FloorPlanRequest& r, int count, const std::vector<Uuid>& also_taken) {
    const std::vector<Occupant> occupants = load_window_occupants(r.booking.restaurant_id, r.booking.id, r.window);
    std::vector<Uuid> taken = taken_tables(r.booking.id, r.window, occupants, r.purpose);
    taken.insert(taken.end(), also_taken.begin(), also_taken.end());
    return plans_for(r, taken, count, &occupants);
}

// Of `tables`, those taken for the window as a write reads them (exactly, per table).
std::vector<Uuid> taken_now(const FloorPlanRequest& r, const std::vector<Uuid>& tables) {
    return taken_tables(r.booking.id, r.window, load_occupants(tables, r.booking.id, r.window), r.purpose);
}

}  // namespace

std::vector<TablePlan> plan_floor(const FloorPlanRequest& r, int count) {
    std::vector<Uuid> found;
    for (;;) {
        std::vector<TablePlan> plans = plan_window(r, count, found);
        // The window read misses assignments longer than a day (data/floor.hpp): the plans'
        // own tables are read again as the write reads them, and a plan on a table taken
        // after all is planned around. Each round adds a table, so it ends.
        const std::vector<Uuid> more = taken_now(r, tables_of(plans));
        if (more.empty()) return plans;
        found.insert(found.end(), more.begin(), more.end());
    }
}

void auto_seat(LockBudget& locks, const FloorPlanRequest& r, const char* function,
               const std::function<void(const TablePlan&)>& write) {
    std::vector<Uuid> lost;   // tables of the plans other calls took first
    std::vector<Uuid> found;  // tables the conflict check found taken
    int replans = 0;
    for (;;) {
        // No exact re-read of the plan's tables here, as plan_floor makes for a quote: the
        // write reads them exactly under its locks, and only when that finds one taken are
        // they read again, to plan around what it found.
        const std::vector<TablePlan> plans = plan_window(r, 1, found);
        if (plans.empty()) throw_no_plan(r);
        try {
            write(plans.front());
        } catch (const AllocatorError& e) {
            // Raised by the conflict check under the plan's locks, before anything was
            // written: another call seated or held one of its tables since the read above,
            // or an assignment longer than a day the window read cannot see holds one.
            if (e.state() != SqlState::ExclusionViolation || !locks.time_left()) throw;
            const std::vector<Uuid>& tables = plans.front().tables;
            LockBudget::unlock_tables(tables);
            const std::vector<Uuid> more = taken_now(r, tables);
            // Nothing found (the other call rolled back meanwhile): plan afresh, as before.
            found.insert(found.end(), more.begin(), more.end());
            lost.insert(lost.end(), tables.begin(), tables.end());
            ++replans;
            continue;
        }
        if (replans > 0) {
            std::sort(lost.begin(), lost.end());
            lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
            kReplannedEvent.execute({Param::of(std::string(function)), Param::of(r.booking.restaurant_id),
                                     Param::of(r.booking.id), Param::of(replans), Param::of(lost),
                                     Param::of(plans.front().tables), Param::of(r.window.start),
                                     Param::of(r.window.end)});
        }
        return;
    }
}

}  // namespace allocator::pg
