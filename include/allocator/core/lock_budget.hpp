// How long one allocator call may wait for its locks: allocator.lock_timeout, but never so
// long that the caller's statement_timeout fires first. A caller with a short
// statement_timeout (Supabase: 3 s for anon, 8 s for authenticated) then meets 55P03, which
// says "retry", not 57014, which cancels the statement and says nothing useful.
#pragma once

namespace allocator {

// Part of statement_timeout kept back for the work after the locks: a quarter of it, at
// most this many milliseconds.
constexpr long long kStatementReserveMaxMs = 500;

// The wait budget in milliseconds (0: do not wait at all). statement_timeout_ms <= 0 means
// no statement timeout; statement_elapsed_ms is how long the caller's statement has run.
long long lock_budget_ms(long long lock_timeout_ms, long long statement_timeout_ms, long long statement_elapsed_ms);

}  // namespace allocator
