// SQL entry points assign_tables_atomic_v2 and unassign_tables_atomic.
#include <algorithm>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/errors.hpp"
#include "allocator/core/table_request.hpp"
#include "allocator/pg/access.hpp"
#include "allocator/pg/allocation_store.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/results.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

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
    const Booking booking = lock_booking_of_caller(locks, booking_id);
    check_booking_assignable(booking);
    request.window = window_argument.value_or(booking.window);

    std::vector<AssignedRow> result;
    std::optional<LedgerEntry> stored;
    if (request.idempotency_key) stored = load_ledger(booking_id, *request.idempotency_key);
    if (stored) {
        check_idempotent_replay(*stored, request.tables, request.window, *request.idempotency_key);
        result = load_assignment_result(booking_id, request.tables);
    } else {
        result = assign_locked(locks, booking, load_flags(), request);
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
    lock_booking_of_caller(locks, booking_id);  // P0002 for an unknown booking

    // The booking's tables that are asked for; unknown or unassigned tables are not an error.
    std::vector<Uuid> doomed;
    for (const ExistingAssignment& e : load_booking_assignments(booking_id)) {
        if (!requested || std::binary_search(requested->begin(), requested->end(), e.table_id))
            doomed.push_back(e.table_id);
    }
    std::vector<Uuid> removed;
    if (!doomed.empty()) {
        locks.lock_tables(doomed);
        Rows rows = execute(Statement::DeleteAssignments, {Param::of(booking_id), Param::of(doomed)});
        for (uint64 i = 0; i < rows.size(); ++i) removed.push_back(rows[i].uuid(1));
        execute(Statement::DissolveSingleTableMergeGroups, {Param::of(booking_id)});
        execute(Statement::DeleteOrphanMergeGroups, {Param::of(booking_id)});
    }
    execute(Statement::ClearZonePinIfUnassigned, {Param::of(booking_id)});
    spi_finish();
    return_table_ids(fcinfo, removed);
    return static_cast<Datum>(0);
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_SQL_FUNCTION(assign_tables_atomic_v2, 0, allocator::pg::assign_tables)
ALLOCATOR_SQL_FUNCTION(unassign_tables_atomic, 0, allocator::pg::unassign_tables)
