// SQL entry points of the hold lifecycle: create_table_hold, auto_hold_tables, confirm_table_hold,
// release_table_hold, sweep_expired_holds and the procedure run_hold_sweeper.
//
// Lock order, the same everywhere, so no two allocator calls wait on each other in a cycle:
// booking allocator lock -> table allocator locks (sorted) -> hold row locks. A hold's row
// lock is never held while waiting for an allocator lock; the sweeper takes only row locks,
// with SKIP LOCKED, and so never waits at all.
#include <algorithm>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/errors.hpp"
#include "allocator/core/hold_rules.hpp"
#include "allocator/core/json_object.hpp"
#include "allocator/pg/access.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/assignment.hpp"
#include "allocator/pg/auto_plan.hpp"
#include "allocator/pg/data/holds.hpp"
#include "allocator/pg/data/occupants.hpp"
#include "allocator/pg/data/sweep.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/results.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kMaxSweepBatch = 10000;
constexpr int kDefaultSweepBatch = 500;      // sweep_expired_holds' p_limit default (40_holds.sql)
constexpr int kDefaultSweeperBatch = 1000;   // run_hold_sweeper's p_batch default (40_holds.sql)
constexpr int kDefaultSweeperMax = 100000;   // run_hold_sweeper's p_max default (40_holds.sql)
constexpr int kDefaultHoldTtlSeconds = 180;  // p_ttl's default, '3 minutes' (40_holds.sql)

// now() + p_ttl exactly as the INSERT computes it (timestamptz + interval: calendar months
// and days in the session's time zone), or nullopt when that is no timestamp (22008).
// Going on after that error without a subtransaction is safe: the function is pure
// arithmetic and holds no lock, buffer or other resource when it fails.
std::optional<Timestamp> expiry_after(Timestamp now, Datum ttl) {
    try {
        return DatumGetTimestampTz(
            pg_call([&] { return DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(now), ttl); }));
    } catch (const PgError& e) {
        if (e.sqlerrcode() != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE) throw;
        FreeErrorData(e.data());
        return std::nullopt;
    }
}

// p_ttl's default, also for an explicit NULL (PostgREST passes a JSON null as NULL).
Datum default_hold_ttl() {
    return pg_call([] {
        auto* ttl = static_cast<Interval*>(palloc0(sizeof(Interval)));
        ttl->time = static_cast<TimeOffset>(kDefaultHoldTtlSeconds) * USECS_PER_SEC;
        return IntervalPGetDatum(ttl);
    });
}

Datum hold_metadata_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return pg_call([] { return DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")); });
    Datum metadata = PG_GETARG_DATUM(n);
    const bool is_object = pg_call([&] { return static_cast<bool>(JB_ROOT_IS_OBJECT(DatumGetJsonbP(metadata))); });
    if (!is_object) {
        throw AllocatorError(SqlState::InvalidParameter, "p_metadata must be a JSON object",
                             ErrorDetail("metadata_not_object"),
                             R"(Pass an object such as '{"source": "staff-app"}'.)");
    }
    return metadata;
}

// p_ttl as create_table_hold reads it: its default for NULL, 22023 ttl_out_of_range.
Datum hold_ttl_arg(FunctionCallInfo fcinfo, int n) {
    // The TTL is the real time to the expires_at that is stored: the INSERT computes
    // now() + $7 itself, and now() is the transaction's timestamp, so it stores this value.
    const Timestamp now = GetCurrentTransactionStartTimestamp();
    const Datum ttl = PG_ARGISNULL(n) ? default_hold_ttl() : PG_GETARG_DATUM(n);
    check_hold_expiry(now, expiry_after(now, ttl));
    return ttl;
}

struct HoldRequest {
    std::vector<Uuid> tables;  // sorted, distinct
    Window window;
    Datum ttl = 0;
    std::optional<Uuid> created_by;
    Datum metadata = 0;
    bool require_adjacency_argument = false;
    const char* removed_by = nullptr;  // names the call in the hold.expired event of a hold it removes
};

// With the booking locked and its context loaded: the table rules over the held tables,
// their locks, the hold conflicts under them, the expired holds in the way removed, the hold
// written. Shared by create_table_hold and auto_hold_tables.
Datum hold_locked(LockBudget& locks, const AllocationContext& context, const Booking& booking,
                  const HoldRequest& request, FunctionCallInfo fcinfo, MemoryContext result_context) {
    const Uuid zone = check_table_set(TableSetCheck{booking, request.tables, context.existing, context.tables,
                                                    context.edges, context.flags, request.require_adjacency_argument});
    locks.lock_tables(request.tables);
    const std::vector<Uuid> expired =
        check_hold_conflicts(booking.id, request.window, load_occupants(request.tables, booking.id, request.window));
    if (!expired.empty()) delete_expired_holds(expired, request.removed_by);
    return insert_hold(
        NewHold{booking, zone, request.tables, request.window, request.ttl, request.created_by, request.metadata},
        fcinfo, result_context);
}

Datum create_hold(FunctionCallInfo fcinfo) {
    const MemoryContext result_context = CurrentMemoryContext;
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    HoldRequest request;
    request.tables = required_table_ids_arg(fcinfo, 1);
    request.ttl = hold_ttl_arg(fcinfo, 2);
    const auto window_argument = explicit_window(optional_timestamp_arg(fcinfo, 3), optional_timestamp_arg(fcinfo, 4));
    request.created_by = optional_uuid_arg(fcinfo, 5);
    request.metadata = hold_metadata_arg(fcinfo, 6);
    request.require_adjacency_argument = bool_arg(fcinfo, 7, false);
    request.removed_by = "create_table_hold";

    spi_connect(fcinfo);
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    // The same table rules as an assignment, over the held tables alone.
    const AllocationContext context =
        load_allocation_context({booking_id, request.tables, std::nullopt, std::nullopt, false});
    const Booking& booking = access.confirm(context.booking, booking_id);
    check_booking_assignable(booking);
    request.window = window_argument.value_or(booking.window);
    const Datum result = hold_locked(locks, context, booking, request, fcinfo, result_context);
    spi_finish();
    return result;
}

// create_table_hold of the best plan (auto_plan.hpp): the planner treats every live hold
// as taken, the booking's own too, as a new hold's conflict check does.
Datum auto_hold(FunctionCallInfo fcinfo) {
    const MemoryContext result_context = CurrentMemoryContext;
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    HoldRequest request;
    request.ttl = hold_ttl_arg(fcinfo, 1);
    const PlanOptions options = plan_options_arg(fcinfo, 2);
    request.require_adjacency_argument = options.require_adjacency_argument;
    request.created_by = optional_uuid_arg(fcinfo, 7);
    request.metadata = hold_metadata_arg(fcinfo, 8);
    request.removed_by = "auto_hold_tables";

    spi_connect(fcinfo);
    require_auto_assign_enabled();
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    AllocationContext context = load_allocation_context({booking_id, {}, std::nullopt, std::nullopt, true});
    const Booking& booking = access.confirm(context.booking, booking_id);
    check_booking_assignable(booking);
    check_not_seated(booking, context.existing);
    request.window = options.window.value_or(booking.window);
    Floor floor = load_plan_floor(booking);
    Datum result = 0;
    auto_seat(locks, {booking, floor, context.flags, options, request.window, PlanPurpose::Hold}, "auto_hold_tables",
              [&](const TablePlan& plan) {
                  request.tables = plan.tables;
                  context.tables = rows_of(floor, plan.tables);
                  context.edges = floor.edges;
                  result = hold_locked(locks, context, booking, request, fcinfo, result_context);
              });
    spi_finish();
    return result;
}

Datum confirm_hold(FunctionCallInfo fcinfo) {
    const Uuid hold_id = required_uuid_arg(fcinfo, 0, "p_hold_id");
    const Uuid booking_id = required_uuid_arg(fcinfo, 1, "p_booking_id");
    AssignRequest request;
    request.idempotency_key = idempotency_key_arg(fcinfo, 2);
    request.assigned_by = optional_uuid_arg(fcinfo, 3);

    spi_connect(fcinfo);
    LockBudget locks;
    const BookingAccess access = lock_booking_of_caller(locks, booking_id);
    const AllocationContext context = load_allocation_context({booking_id, {}, request.idempotency_key, hold_id, true});
    const Booking& booking = access.confirm(context.booking, booking_id);
    check_booking_assignable(booking);

    const std::optional<LedgerEntry>& stored = context.ledger;
    const std::optional<HoldRecord>& hold = context.hold;
    std::vector<AssignedRow> result;
    if (!hold && stored && stored->hold_id == hold_id) {
        // This key already confirmed this hold: replay the stored result, write nothing. A
        // key stored by an assignment or by confirming another hold replays nothing here.
        result = assigned_rows(stored->table_ids, context.existing);
    } else {
        if (!hold) throw_hold_not_found(hold_id);
        // The booking's restaurant is checked already; a hold of another restaurant is
        // refused as such, before anything about it is told.
        if (hold->restaurant_id != booking.restaurant_id) require_access(hold->restaurant_id);
        check_hold_owner(*hold, booking_id);
        if (stored) {
            check_idempotent_replay(*stored, hold->table_ids, hold->window, *request.idempotency_key);
            request.idempotency_key.reset();  // its ledger row exists already
        }
        check_hold_live(*hold);

        // Tables first, then the hold's row: it may have been released or swept while we
        // waited for the tables, or have expired meanwhile (the error undoes the delete).
        locks.lock_tables(hold->table_ids);
        const std::optional<bool> was_live =
            delete_hold(hold_id, "hold.confirmed", JsonObject().add("confirmed_by", request.assigned_by).to_json());
        if (!was_live) throw_hold_not_found(hold_id);
        HoldRecord deleted = *hold;
        deleted.live = *was_live;
        check_hold_live(deleted);

        request.tables = hold->table_ids;
        request.window = hold->window;
        request.confirmed_hold_id = hold_id;
        result = assign_locked(locks, context, request);
    }
    spi_finish();
    return_assignment_rows(fcinfo, result);
    return static_cast<Datum>(0);
}

Datum release_hold(FunctionCallInfo fcinfo) {
    const Uuid hold_id = required_uuid_arg(fcinfo, 0, "p_hold_id");
    const std::optional<Uuid> booking_id = optional_uuid_arg(fcinfo, 1);

    spi_connect(fcinfo);
    bool released = false;
    const std::optional<HoldRecord> hold = load_hold(hold_id);
    if (hold) {
        require_access(hold->restaurant_id);
        if (booking_id) check_hold_owner(*hold, *booking_id);
        // The lock order of every allocator call: the owner booking, the tables, then the
        // hold's row. Taking the row first could deadlock with a confirm of the same hold in
        // a transaction that goes on to call the allocator for that booking.
        LockBudget locks;
        if (hold->booking_id) locks.lock_booking(*hold->booking_id);
        locks.lock_tables(hold->table_ids);
        // Gone meanwhile (released, confirmed or swept): nothing to release.
        released = delete_hold(hold_id, "hold.released", JsonObject().add("released_by_booking", booking_id).to_json())
                       .has_value();
    }
    spi_finish();
    return BoolGetDatum(released);
}

// A sweep batch's size, as sweep_expired_holds' p_limit or run_hold_sweeper's p_batch: 22023
// bad_limit outside 1..kMaxSweepBatch.
void check_sweep_batch(int value, const char* argument) {
    if (value >= 1 && value <= kMaxSweepBatch) return;
    throw AllocatorError(SqlState::InvalidParameter,
                         std::string(argument) + " must be between 1 and " + std::to_string(kMaxSweepBatch),
                         ErrorDetail("bad_limit").add("max", static_cast<long long>(kMaxSweepBatch)),
                         "Sweep in batches of at most " + std::to_string(kMaxSweepBatch) +
                             "; CALL run_hold_sweeper() runs as many as the backlog needs.");
}

Datum sweep_holds(FunctionCallInfo fcinfo) {
    const int limit = PG_ARGISNULL(0) ? kDefaultSweepBatch : PG_GETARG_INT32(0);
    check_sweep_batch(limit, "p_limit");
    spi_connect(fcinfo);
    const long long swept = sweep_expired_batch(limit);
    spi_finish();
    return Int32GetDatum(static_cast<int32>(swept));
}

// The procedure pg_cron runs: batches of p_batch through sweep_expired_holds, each committed
// before the next, so a batch's row locks (which a new hold on the same tables waits for)
// last one batch; until a batch comes back short or p_max holds are swept. Called inside a
// transaction block (an atomic CALL), it cannot commit, and sweeps in the caller's
// transaction. Returns the count as its INOUT swept.
Datum run_sweeper(FunctionCallInfo fcinfo) {
    const int batch = PG_ARGISNULL(0) ? kDefaultSweeperBatch : PG_GETARG_INT32(0);
    const long long max = PG_ARGISNULL(1) ? kDefaultSweeperMax : PG_GETARG_INT32(1);
    check_sweep_batch(batch, "p_batch");
    if (max < 1) {
        throw AllocatorError(SqlState::InvalidParameter, "p_max must be at least 1", ErrorDetail("bad_limit"),
                             "Leave p_max at its default of " + std::to_string(kDefaultSweeperMax) + ".");
    }
    const bool atomic =
        !(fcinfo->context && IsA(fcinfo->context, CallContext)) || castNode(CallContext, fcinfo->context)->atomic;
    spi_connect(fcinfo, atomic ? SpiMode::Atomic : SpiMode::MayCommit);
    long long swept = 0;
    for (;;) {
        const int limit = static_cast<int>(std::min<long long>(batch, max - swept));
        const long long n = call_sweep_function(limit);
        swept += n;
        if (!atomic) pg_call([] { SPI_commit(); });
        if (n < limit || swept >= max) break;
    }
    spi_finish();
    return composite_result(fcinfo, {Int64GetDatum(swept)}, {false});
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_WRITING_FUNCTION(create_table_hold, 0, allocator::pg::create_hold)
ALLOCATOR_WRITING_FUNCTION(auto_hold_tables, 0, allocator::pg::auto_hold)
ALLOCATOR_WRITING_FUNCTION(confirm_table_hold, 1, allocator::pg::confirm_hold)
ALLOCATOR_WRITING_FUNCTION(release_table_hold, -1, allocator::pg::release_hold)
ALLOCATOR_WRITING_FUNCTION(sweep_expired_holds, -1, allocator::pg::sweep_holds)
ALLOCATOR_WRITING_FUNCTION(run_hold_sweeper, -1, allocator::pg::run_sweeper)
