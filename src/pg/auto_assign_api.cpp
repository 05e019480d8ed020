// SQL entry points quote_tables and auto_assign_booking (issue 11); auto_hold_tables is in
// holds_api.cpp beside create_table_hold, whose write it shares.
//
// quote_tables reads and plans, taking no lock. auto_assign_booking is
// assign_tables_atomic_v2 with the tables chosen by the planner: the same booking lock, the
// same idempotency ledger, and the same write (assign_locked) of the best plan, which locks
// the plan's tables and checks conflicts under them (auto_plan.hpp).
#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/errors.hpp"
#include "allocator/core/table_planner.hpp"
#include "allocator/pg/access.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/assignment.hpp"
#include "allocator/pg/auto_plan.hpp"
#include "allocator/pg/data/assign.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/results.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kDefaultQuoteLimit = 5;  // quote_tables' p_limit default (30_assignment.sql)

// table(rank integer, table_ids uuid[], zone_id uuid, seats integer, seats_left_over
// integer, is_merge boolean, explanation jsonb)
void return_plans(FunctionCallInfo fcinfo, const std::vector<TablePlan>& plans) {
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (const TablePlan& plan : plans) {
        const std::string explanation = plan.rank.to_json();
        Datum values[7] = {
            Int32GetDatum(plan.rank.position),
            Param::of(plan.tables).value,
            datum_from_uuid(plan.zone),
            Int32GetDatum(plan.seats),
            Int32GetDatum(plan.seats_left_over),
            BoolGetDatum(plan.is_merge),
            pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(explanation.c_str())); })};
        bool nulls[7] = {false, false, false, false, false, false, false};
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
}

Datum quote(FunctionCallInfo fcinfo) {
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    const PlanOptions options = plan_options_arg(fcinfo, 1);
    const int limit = PG_ARGISNULL(6) ? kDefaultQuoteLimit : PG_GETARG_INT32(6);
    check_plan_limits(options.max_tables, limit);

    spi_connect(fcinfo);
    // No lock: a quote writes nothing and waits for nobody; what it offers is what the
    // committed state allowed when it read.
    const AllocationContext context = load_allocation_context({booking_id, {}, std::nullopt, std::nullopt, true});
    const Booking& booking = require_booking(context.booking, booking_id);
    require_access(booking.restaurant_id);
    check_booking_assignable(booking);
    check_not_seated(booking, context.existing);
    Floor floor = load_plan_floor(booking);
    const std::vector<TablePlan> plans = plan_floor(
        {booking, floor, context.flags, options, options.window.value_or(booking.window), PlanPurpose::Assignment},
        limit);
    spi_finish();
    return_plans(fcinfo, plans);
    return static_cast<Datum>(0);
}

Datum auto_assign(FunctionCallInfo fcinfo) {
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    AssignRequest request;
    request.idempotency_key = idempotency_key_arg(fcinfo, 1);
    const PlanOptions options = plan_options_arg(fcinfo, 2);
    request.require_adjacency_argument = options.require_adjacency_argument;
    request.assigned_by = optional_uuid_arg(fcinfo, 7);

    spi_connect(fcinfo);
    require_auto_assign_enabled();
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    AllocationContext context = load_allocation_context({booking_id, {}, request.idempotency_key, std::nullopt, true});
    const Booking& booking = access.confirm(context.booking, booking_id);
    check_booking_assignable(booking);
    request.window = options.window.value_or(booking.window);

    std::vector<AssignedRow> result;
    if (context.ledger) {
        // The key seated this booking already: the same tables again, if the window is the same.
        check_idempotent_replay(*context.ledger, context.ledger->table_ids, request.window, *request.idempotency_key);
        result = assigned_rows(context.ledger->table_ids, context.existing);
    } else {
        check_not_seated(booking, context.existing);
        Floor floor = load_plan_floor(booking);
        auto_seat(locks, {booking, floor, context.flags, options, request.window, PlanPurpose::Assignment},
                  "auto_assign_booking", [&](const TablePlan& plan) {
                      request.tables = plan.tables;
                      // The assignment's rules read the stored rows of the plan's tables, capacities uncapped.
                      context.tables = rows_of(floor, plan.tables);
                      context.edges = floor.edges;
                      result = assign_locked(locks, context, request);
                  });
    }
    spi_finish();
    return_assignment_rows(fcinfo, result);
    return static_cast<Datum>(0);
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_SQL_FUNCTION(quote_tables, 0, allocator::pg::quote)
ALLOCATOR_WRITING_FUNCTION(auto_assign_booking, 0, allocator::pg::auto_assign)
