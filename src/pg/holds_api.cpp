// SQL entry points of the hold lifecycle: create_table_hold, confirm_table_hold,
// release_table_hold and sweep_expired_holds.
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
#include "allocator/pg/allocation_store.hpp"
#include "allocator/pg/arguments.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/results.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kMaxSweepBatch = 10000;
constexpr int kDefaultSweepBatch = 500;   // p_limit's default (40_holds.sql)
constexpr int kDefaultHoldTtlSeconds = 180;  // p_ttl's default, '3 minutes' (40_holds.sql)

std::optional<HoldRecord> load_hold(const Uuid& hold_id, bool lock_row) {
    Rows rows = lock_row ? execute_row_locking(Statement::LoadHoldForUpdate, {Param::of(hold_id)})
                         : execute(Statement::LoadHold, {Param::of(hold_id)});
    if (rows.empty()) return std::nullopt;
    Row r = rows[0];
    HoldRecord hold;
    hold.id = r.uuid(1);
    hold.booking_id = r.optional_uuid(2);
    hold.restaurant_id = r.uuid(3);
    hold.zone_id = r.uuid(4);
    hold.table_ids = r.uuid_array(5);
    std::sort(hold.table_ids.begin(), hold.table_ids.end());
    hold.window = Window{r.timestamp(6), r.timestamp(7)};
    hold.live = r.boolean(8);
    return hold;
}

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
        Interval* ttl = static_cast<Interval*>(palloc0(sizeof(Interval)));
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
                             ErrorDetail("metadata_not_object"), "Pass an object such as '{\"source\": \"staff-app\"}'.");
    }
    return metadata;
}

// The just-inserted table_holds row (SPI result) as the function's composite result,
// formed in the caller's memory context so it outlives SPI_finish.
Datum hold_row_as_result(FunctionCallInfo fcinfo, MemoryContext result_context) {
    HeapTuple source = SPI_tuptable->vals[0];
    TupleDesc source_desc = SPI_tuptable->tupdesc;
    return pg_call([&] {
        TupleDesc result_desc;
        if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "allocator: create_table_hold must return a row type");
        if (result_desc->natts != source_desc->natts)
            elog(ERROR, "allocator: table_holds has %d columns but the result has %d", source_desc->natts,
                 result_desc->natts);
        Datum* values = static_cast<Datum*>(palloc(sizeof(Datum) * source_desc->natts));
        bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * source_desc->natts));
        heap_deform_tuple(source, source_desc, values, nulls);
        MemoryContext old = MemoryContextSwitchTo(result_context);
        result_desc = BlessTupleDesc(result_desc);
        HeapTuple result = heap_form_tuple(result_desc, values, nulls);
        MemoryContextSwitchTo(old);
        return HeapTupleGetDatum(result);
    });
}

Datum create_hold(FunctionCallInfo fcinfo) {
    const MemoryContext result_context = CurrentMemoryContext;
    const Uuid booking_id = required_uuid_arg(fcinfo, 0, "p_booking_id");
    const std::vector<Uuid> tables = required_table_ids_arg(fcinfo, 1);
    // The TTL is the real time to the expires_at that is stored: the INSERT computes
    // now() + $7 itself, and now() is the transaction's timestamp, so it stores this value.
    const Timestamp now = GetCurrentTransactionStartTimestamp();
    const Datum ttl = PG_ARGISNULL(2) ? default_hold_ttl() : PG_GETARG_DATUM(2);
    check_hold_expiry(now, expiry_after(now, ttl));
    const auto window_argument = explicit_window(optional_timestamp_arg(fcinfo, 3), optional_timestamp_arg(fcinfo, 4));
    const std::optional<Uuid> created_by = optional_uuid_arg(fcinfo, 5);
    const Datum metadata = hold_metadata_arg(fcinfo, 6);
    const bool require_adjacency_argument = bool_arg(fcinfo, 7, false);

    spi_connect(fcinfo);
    LockBudget locks;
    const Booking booking = lock_booking_of_caller(locks, booking_id);
    check_booking_assignable(booking);
    const Window window = window_argument.value_or(booking.window);
    const Flags flags = load_flags();

    // The same table rules as an assignment, over the held tables alone.
    const std::vector<ExistingAssignment> none;
    const std::vector<TableInfo> table_rows = load_tables(tables);
    const bool adjacency_needed = tables.size() > 1 && (require_adjacency_argument || flags.require_adjacency);
    const std::vector<AdjacencyEdge> edges = adjacency_needed ? load_edges(tables) : std::vector<AdjacencyEdge>{};
    const Uuid zone = check_table_set(
        TableSetCheck{booking, tables, none, table_rows, edges, flags, require_adjacency_argument});

    locks.lock_tables(tables);
    const std::vector<Uuid> expired = check_hold_conflicts(booking.id, window, load_occupants(tables, booking.id, window));
    if (!expired.empty())
        execute_row_locking(Statement::DeleteHolds, {Param::of(expired), Param::of(std::string("create_table_hold"))});

    execute(Statement::InsertHold,
                            {Param::of(booking.id), Param::of(booking.restaurant_id), Param::of(zone), Param::of(tables),
                             Param::of(window.start), Param::of(window.end), Param::of_datum(ttl), Param::of(created_by),
                             Param::of_datum(metadata)});
    Datum result = hold_row_as_result(fcinfo, result_context);
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
    const Booking booking = lock_booking_of_caller(locks, booking_id);
    check_booking_assignable(booking);

    std::optional<LedgerEntry> stored;
    if (request.idempotency_key) stored = load_ledger(booking_id, *request.idempotency_key);
    std::optional<HoldRecord> hold = load_hold(hold_id, false);
    std::vector<AssignedRow> result;
    if (!hold && stored && stored->hold_id == hold_id) {
        // This key already confirmed this hold: replay the stored result, write nothing. A
        // key stored by an assignment or by confirming another hold replays nothing here.
        result = load_assignment_result(booking_id, stored->table_ids);
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

        // Tables first, then the hold's row: re-read it, since it may have been released
        // or swept while we waited for the tables.
        locks.lock_tables(hold->table_ids);
        hold = load_hold(hold_id, true);
        if (!hold) throw_hold_not_found(hold_id);
        check_hold_live(*hold);

        Rows removed = execute(Statement::DeleteHold,
                               {Param::of(hold_id), Param::of(std::string("hold.confirmed")),
                                Param::of(JsonObject().add("confirmed_by", request.assigned_by).to_json())});
        if (removed[0].bigint(1) != 1) throw_hold_not_found(hold_id);
        request.tables = hold->table_ids;
        request.window = hold->window;
        request.confirmed_hold_id = hold_id;
        result = assign_locked(locks, booking, load_flags(), request);
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
    std::optional<HoldRecord> hold = load_hold(hold_id, false);
    if (hold) {
        require_access(hold->restaurant_id);
        if (booking_id) check_hold_owner(*hold, *booking_id);
        // The lock order of every allocator call: the owner booking, the tables, then the
        // hold's row. Taking the row first could deadlock with a confirm of the same hold in
        // a transaction that goes on to call the allocator for that booking.
        LockBudget locks;
        if (hold->booking_id) locks.lock_booking(*hold->booking_id);
        locks.lock_tables(hold->table_ids);
        hold = load_hold(hold_id, true);
    }
    if (hold) {
        Rows removed = execute(Statement::DeleteHold,
                               {Param::of(hold_id), Param::of(std::string("hold.released")),
                                Param::of(JsonObject().add("released_by_booking", booking_id).to_json())});
        released = removed[0].bigint(1) == 1;
    }
    spi_finish();
    return BoolGetDatum(released);
}

Datum sweep_holds(FunctionCallInfo fcinfo) {
    const int limit = PG_ARGISNULL(0) ? kDefaultSweepBatch : PG_GETARG_INT32(0);
    if (limit < 1 || limit > kMaxSweepBatch) {
        throw AllocatorError(SqlState::InvalidParameter,
                             "p_limit must be between 1 and " + std::to_string(kMaxSweepBatch),
                             ErrorDetail("bad_limit").add("max", static_cast<long long>(kMaxSweepBatch)),
                             "Sweep in short batches; pg_cron calls it again next minute.");
    }
    spi_connect(fcinfo);
    Rows rows = execute(Statement::SweepExpiredHolds, {Param::of(limit)});
    const long long swept = rows[0].bigint(1);
    spi_finish();
    return Int32GetDatum(static_cast<int32>(swept));
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_SQL_FUNCTION(create_table_hold, 0, allocator::pg::create_hold)
ALLOCATOR_SQL_FUNCTION(confirm_table_hold, 1, allocator::pg::confirm_hold)
ALLOCATOR_SQL_FUNCTION(release_table_hold, -1, allocator::pg::release_hold)
ALLOCATOR_SQL_FUNCTION(sweep_expired_holds, -1, allocator::pg::sweep_holds)
