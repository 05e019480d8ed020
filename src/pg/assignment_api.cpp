// SQL entry points assign_tables_atomic_v2 and unassign_tables_atomic.
//
// Each call: arguments checked, the booking locked, one read of what the rules need
// (data/assign.hpp, data/unassign.hpp), the pure decisions (core/assignment_plan.hpp), the
// tables locked, the occupants read under those locks, one write.
#include "allocator/pg/assignment.hpp"

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/errors.hpp"
#include "allocator/core/table_request.hpp"
#include "allocator/pg/access.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/data/occupants.hpp"
#include "allocator/pg/data/unassign.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/random_uuid.hpp"
#include "allocator/pg/results.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

std::vector<AssignedRow> assign_locked(LockBudget& locks, const AllocationContext& context,
                                       const AssignRequest& request) {
    const Booking& booking = *context.booking;
    const AssignmentPlan plan =
        plan_assignment(AssignmentInput{booking, request.tables, request.window, context.existing, context.tables,
                                        context.edges, context.flags, request.require_adjacency_argument},
                        new_random_uuid);
    if (!plan.writes) return plan.result;

    locks.lock_tables(plan.added);
    check_assignment_conflicts(booking, request.window, load_occupants(plan.added, booking.id, request.window));
    write_assignment(AssignmentWrite{booking, plan, request.window, request.tables, request.idempotency_key,
                                     request.assigned_by, request.confirmed_hold_id});
    return plan.result;
}

namespace {

Datum assign_tables(FunctionCallInfo fcinfo) {
    // Arguments first: nothing is read before they are all valid.
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    AssignRequest request;
    request.tables = required_table_ids_arg(fcinfo, 1);
    request.idempotency_key = idempotency_key_arg(fcinfo, 2);
    request.require_adjacency_argument = bool_arg(fcinfo, 3, false);
    request.assigned_by = optional_uuid_arg(fcinfo, 4);
    const auto window_argument = explicit_window(optional_timestamp_arg(fcinfo, 5), optional_timestamp_arg(fcinfo, 6));

    spi_connect(fcinfo);
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    const AllocationContext context =
        load_allocation_context({booking_id, request.tables, request.idempotency_key, std::nullopt, true});
    const Booking& booking = access.confirm(context.booking, booking_id);
    check_booking_assignable(booking);
    request.window = window_argument.value_or(booking.window);

    std::vector<AssignedRow> result;
    if (context.ledger) {
        check_idempotent_replay(*context.ledger, request.tables, request.window, *request.idempotency_key);
        result = assigned_rows(request.tables, context.existing);
    } else {
        result = assign_locked(locks, context, request);
    }
    spi_finish();
    return_assignment_rows(fcinfo, result);
    return static_cast<Datum>(0);
}

Datum unassign_tables(FunctionCallInfo fcinfo) {
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    const auto raw_tables = optional_uuid_array_arg(fcinfo, 1);
    std::optional<std::vector<Uuid>> requested;
    if (raw_tables) requested = normalize_table_ids(*raw_tables);

    spi_connect(fcinfo);
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    const UnassignContext context = load_unassign_context(booking_id);
    access.confirm_restaurant(context.restaurant_id, booking_id);

    // The booking's tables that are asked for; unknown or unassigned tables are not an error.
    const UnassignmentPlan plan = plan_unassignment(requested, context.existing, context.zone_pinned);
    std::vector<Uuid> removed;
    if (plan.writes()) {
        locks.lock_tables(plan.removed);
        removed = write_unassignment(booking_id, plan);
    }
    spi_finish();
    return_table_ids(fcinfo, removed);
    return static_cast<Datum>(0);
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_WRITING_FUNCTION(assign_tables_atomic_v2, 0, allocator::pg::assign_tables)
ALLOCATOR_WRITING_FUNCTION(unassign_tables_atomic, 0, allocator::pg::unassign_tables)
