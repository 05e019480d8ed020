// Who may act on which restaurant (docs/supabase.md); see src/pg/access.cpp.
#pragma once

#include <optional>

#include "allocator/core/model.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/locks.hpp"

namespace allocator::pg {

// 42501 (reason not_member or no_user) unless the caller may act on the restaurant: a
// superuser, the extension's owner and roles with service or operator access act on every
// restaurant, every other role only for its signed-in user's. Between spi_connect() and
// spi_finish(); every staff RPC calls it once it has found its booking or hold.
void require_access(const Uuid& restaurant_id);

// What lock_booking_of_caller checked before locking: confirm() it on the booking as read
// under the lock.
class BookingAccess {
public:
    // P0002 when the booking was not found; 42501 should it have moved meanwhile to a
    // restaurant the caller may not act on. Returns the booking.
    const Booking& confirm(const std::optional<Booking>& booking, const Uuid& booking_id) const;
    // The same, knowing only the booking's restaurant (nullopt: no such booking).
    void confirm_restaurant(const std::optional<Uuid>& restaurant_id, const Uuid& booking_id) const;

private:
    friend BookingAccess lock_booking_of_caller(LockBudget& locks, const Uuid& booking_id);
    std::optional<Uuid> checked_restaurant_;
};

// Locks the booking for a caller that may act on its restaurant: 42501 otherwise, P0002
// when it does not exist. A caller that may not act there never waits for, nor holds, the
// booking's lock: it is checked on an unlocked read first. The owner and superusers skip it.
BookingAccess lock_booking_of_caller(LockBudget& locks, const Uuid& booking_id);

}  // namespace allocator::pg
