#include "allocator/core/lock_budget.hpp"

#include <algorithm>

namespace allocator {

long long lock_budget_ms(long long lock_timeout_ms, long long statement_timeout_ms, long long statement_elapsed_ms) {
    if (statement_timeout_ms <= 0) return lock_timeout_ms;
    const long long reserve = std::min(statement_timeout_ms / 4, kStatementReserveMaxMs);
    const long long left = statement_timeout_ms - std::max(0LL, statement_elapsed_ms) - reserve;
    return std::max(0LL, std::min(lock_timeout_ms, left));
}

}  // namespace allocator
