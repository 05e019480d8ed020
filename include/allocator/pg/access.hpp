// Who may act on which restaurant (docs/supabase.md); see src/pg/access.cpp.
#pragma once

#include "allocator/core/model.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/locks.hpp"

namespace allocator::pg {

// 42501 (reason not_member or no_user) unless the caller may act on the restaurant: a
// superuser, the extension's owner and roles with service or operator access act on every
// restaurant, every other role only for its signed-in user's. Between spi_connect() and
// spi_finish(); every staff RPC calls it once it has found its booking or hold.
void require_access(const Uuid& restaurant_id);

// Locks the booking and loads it (P0002 when it does not exist) for a caller that may act on
// its restaurant, 42501 otherwise. A caller that may not act there never waits for, nor
// holds, the booking's lock: it is checked on an unlocked read first (and again should the
// booking have moved to another restaurant meanwhile). The owner and superusers skip it.
Booking lock_booking_of_caller(LockBudget& locks, const Uuid& booking_id);

}  // namespace allocator::pg
