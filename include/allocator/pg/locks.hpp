// The allocator's serialization: transaction-scoped advisory locks in lock spaces of its
// own (not the int8 / int4-pair spaces of pg_advisory_*), one per booking and one per
// table, taken booking first, then tables in sorted key order, within a time budget of
// allocator.lock_timeout for the whole call, capped by what the caller's statement_timeout
// leaves (core/lock_budget.hpp).
#pragma once

#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator::pg {

// locktag_field4 values of our advisory locks: pg_locks shows them as locktype 'advisory'
// with objsubid 21001 (bookings) or 21002 (tables); pg_advisory_* use 1 and 2. Below 32768
// because pg_locks.objsubid is an int2 and larger values would read back negative.
// The one definition: SQL reads them from allocator_lock_spaces() (locks.cpp).
constexpr int kBookingLockSpace = 21001;
constexpr int kTableLockSpace = 21002;

// allocator.lock_timeout in milliseconds (GUC, defined in module.cpp).
extern int allocator_lock_timeout_ms;

class LockBudget {
public:
    LockBudget();
    void lock_booking(const Uuid& booking_id);
    void lock_tables(const std::vector<Uuid>& table_ids);
    // Gives back one lock_tables(table_ids) of this call, before it wrote anything under it:
    // auto-assignment drops the locks of a plan another call took first, then locks the next
    // plan in lock order again (docs/locking.md). A lock the transaction held before stays.
    static void unlock_tables(const std::vector<Uuid>& table_ids);
    // Whether some of the budget is left to wait for the locks of another plan.
    bool time_left() const;

private:
    void acquire(int lock_space, const Uuid& id, const char* what);
    long long started_at_;  // TimestampTz when the call began to lock
    long long budget_ms_;   // how long it may wait in all
};

}  // namespace allocator::pg
