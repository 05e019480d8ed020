// The data of the hold sweeper: one batch of expired holds deleted, oldest first, each with
// its members, mirror rows and hold.expired event. Between spi_connect() and spi_finish().
#pragma once

namespace allocator::pg {

// Deletes up to `limit` expired holds; returns how many. Holds another transaction has
// locked are skipped (SKIP LOCKED), so concurrent sweepers split the backlog instead of
// queueing on each other or processing a hold twice.
long long sweep_expired_batch(int limit);

// One batch through the SQL function sweep_expired_holds(limit), so the caller's EXECUTE
// privilege on it is what decides (run_hold_sweeper runs as its caller).
long long call_sweep_function(int limit);

}  // namespace allocator::pg
