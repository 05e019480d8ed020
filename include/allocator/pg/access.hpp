// Who may act on which restaurant (docs/supabase.md); see src/pg/access.cpp.
#pragma once

#include "allocator/core/uuid.hpp"

namespace allocator::pg {

// 42501 (reason not_member or no_user) unless the caller may act on the restaurant: a
// superuser, the extension's owner and roles with service or operator access act on every
// restaurant, every other role only for its signed-in user's. Between spi_connect() and
// spi_finish(); every staff RPC calls it once it has found its booking or hold.
void require_access(const Uuid& restaurant_id);

}  // namespace allocator::pg
