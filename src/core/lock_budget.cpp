#include "allocator/core/lock_budget.hpp"

#include <algorithm>

namespace allocator {

long long lock_budget_ms(long long lock_timeout_ms, std::optional<long long> statement_left_ms) {
    if (!statement_left_ms) return lock_timeout_ms;
    const long long left = std::max(0LL, *statement_left_ms);
    const long long reserve = std::min(left / 4, kStatementReserveMaxMs);
    return std::max(0LL, std::min(lock_timeout_ms, left - reserve));
}

}  // namespace allocator
