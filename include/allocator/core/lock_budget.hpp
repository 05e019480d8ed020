// How long one allocator call may wait for its locks: allocator.lock_timeout, but never so
// long that the caller's statement_timeout fires first. A caller with a short
// statement_timeout (Supabase: 3 s for anon, 8 s for authenticated) then meets 55P03, which
// says "retry", not 57014, which cancels the statement and says nothing useful.
#pragma once

#include <optional>

namespace allocator {

// Part of what statement_timeout leaves that is kept back for the work after the locks: a
// quarter of it, at most this many milliseconds.
constexpr long long kStatementReserveMaxMs = 500;

// The wait budget in milliseconds (0: do not wait at all). statement_left_ms is how long the
// caller's running statement timer has left, nullopt when none runs.
long long lock_budget_ms(long long lock_timeout_ms, std::optional<long long> statement_left_ms);

}  // namespace allocator
