// The data of the hold lifecycle (create, confirm, release): reading a hold, writing one,
// deleting one with its member rows, mirror rows and event. Between spi_connect() and
// spi_finish(). The sweeper's statement is in data/sweep.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/hold_rules.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// The hold as it is now, without locking it.
std::optional<HoldRecord> load_hold(const Uuid& hold_id);

struct NewHold {
    const Booking& booking;
    const Uuid& zone;
    const std::vector<Uuid>& tables;
    const Window& window;
    Datum ttl;  // interval: expires_at is now() + ttl
    const std::optional<Uuid>& created_by;
    Datum metadata;  // jsonb object
};

// The hold, its members, its mirror rows (while allocations_dual_write is on) and its
// hold.created event. Returns the table_holds row as the caller's composite result, formed
// in `result_context` so it outlives SPI_finish.
Datum insert_hold(const NewHold& hold, FunctionCallInfo fcinfo, MemoryContext result_context);

// Expired holds in the way of a new hold: removed under the tables' locks, as the sweeper
// would have, with the same event. Row-locking (Statement::execute_row_locking).
void delete_expired_holds(const std::vector<Uuid>& hold_ids, const std::string& removed_by);

// Deletes the hold (with its members and mirror rows) and writes event `event_type` with
// `extra_context` (a JSON object) added to the event's context. Row-locking. Returns the
// deleted hold's liveness (expires_at > now()), nullopt when there was no such hold.
std::optional<bool> delete_hold(const Uuid& hold_id, const std::string& event_type, const std::string& extra_context);

}  // namespace allocator::pg
