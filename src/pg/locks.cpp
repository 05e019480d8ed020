#include "allocator/pg/locks.hpp"

#include <string>
#include <utility>

#include "allocator/core/errors.hpp"
#include "allocator/core/lock_budget.hpp"
#include "allocator/core/lock_keys.hpp"
#include "allocator/pg/guard.hpp"

namespace allocator::pg {

int allocator_lock_timeout_ms = 2000;

namespace {

// How long the statement timer that is running has left (what will cancel the caller's
// statement: armed at its start, whatever statement_timeout says now), if one runs.
std::optional<long long> statement_timer_left_ms(TimestampTz now) {
    if (!get_timeout_active(STATEMENT_TIMEOUT)) return std::nullopt;
    return (get_timeout_finish_time(STATEMENT_TIMEOUT) - now) / 1000;
}

LOCKTAG lock_tag(int lock_space, const Uuid& id) {
    const std::uint64_t key = lock_key(id);
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(key >> 32), static_cast<uint32>(key),
                         static_cast<uint16>(lock_space));
    return tag;
}

}  // namespace

LockBudget::LockBudget()
    : started_at_(GetCurrentTimestamp()),
      budget_ms_(lock_budget_ms(allocator_lock_timeout_ms, statement_timer_left_ms(started_at_))) {}

void LockBudget::lock_booking(const Uuid& booking_id) {
    acquire(kBookingLockSpace, booking_id, "booking");
}

void LockBudget::lock_tables(const std::vector<Uuid>& table_ids) {
    for (const LockTarget& target : lock_order(table_ids)) acquire(kTableLockSpace, target.id, "table");
}

void LockBudget::unlock_tables(const std::vector<Uuid>& table_ids) {
    for (const LockTarget& target : lock_order(table_ids)) {
        LOCKTAG tag = lock_tag(kTableLockSpace, target.id);
        pg_call([&] { LockRelease(&tag, ExclusiveLock, false); });
    }
}

bool LockBudget::time_left() const {
    return (GetCurrentTimestamp() - started_at_) / 1000 < budget_ms_;
}

void LockBudget::acquire(int lock_space, const Uuid& id, const char* what) {
    LOCKTAG tag = lock_tag(lock_space, id);

    // Fast path: no wait, no timer.
    LockAcquireResult got = pg_call([&] { return LockAcquire(&tag, ExclusiveLock, false, true); });
    if (got != LOCKACQUIRE_NOT_AVAIL) return;

    const long long elapsed_ms = (GetCurrentTimestamp() - started_at_) / 1000;
    const long long remaining_ms = budget_ms_ - elapsed_ms;
    bool timed_out = remaining_ms <= 0;
    if (!timed_out) {
        // Wait in the lock queue (fair, and seen by the deadlock detector) with
        // PostgreSQL's own lock_timeout set to what is left of our budget for this wait.
        const int saved_lock_timeout = LockTimeout;
        try {
            pg_call([&] {
                LockTimeout = static_cast<int>(remaining_ms);
                PG_TRY();
                { LockAcquire(&tag, ExclusiveLock, false, false); }
                PG_FINALLY();
                { LockTimeout = saved_lock_timeout; }
                PG_END_TRY();
            });
        } catch (const PgError& e) {
            if (e.sqlerrcode() != ERRCODE_LOCK_NOT_AVAILABLE) throw;
            timed_out = true;
        }
    }
    if (timed_out) {
        const std::string subject = std::string(what) + " " + id.to_string();
        ErrorDetail detail("lock_timeout");
        detail.add(std::string(what) + "_id", id)
            .add("lock_timeout_ms", static_cast<long long>(allocator_lock_timeout_ms));
        const bool capped = budget_ms_ < allocator_lock_timeout_ms;
        if (capped) {
            detail.add("lock_budget_ms", budget_ms_);
        }
        throw AllocatorError(SqlState::LockNotAvailable,
                             "could not lock " + subject + " within allocator.lock_timeout (" +
                                 (capped ? std::to_string(budget_ms_) + " ms, all that the statement's timeout leaves)"
                                         : std::to_string(allocator_lock_timeout_ms) + " ms)"),
                             std::move(detail),
                             "Another allocator call holds it; retry. Allocator locks and their holders: "
                             "select pid, granted, objsubid from pg_locks where locktype = 'advisory' "
                             "and objsubid in (" +
                                 std::to_string(kBookingLockSpace) + ", " + std::to_string(kTableLockSpace) + ").");
    }
}

namespace {

// allocator_lock_spaces(OUT booking_lock_space integer, OUT table_lock_space integer): the
// constants above, so that SQL (allocator_alerts, the runbook's queries) never repeats them.
Datum lock_spaces(FunctionCallInfo fcinfo) {
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE || desc->natts != 2 ||
            TupleDescAttr(desc, 0)->atttypid != INT4OID || TupleDescAttr(desc, 1)->atttypid != INT4OID)
            elog(ERROR, "allocator_lock_spaces must return (booking_lock_space integer, table_lock_space integer)");
        Datum values[2] = {Int32GetDatum(kBookingLockSpace), Int32GetDatum(kTableLockSpace)};
        bool nulls[2] = {false, false};
        return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
    });
}

}  // namespace

}  // namespace allocator::pg

ALLOCATOR_SQL_FUNCTION(allocator_lock_spaces, -1, allocator::pg::lock_spaces)
