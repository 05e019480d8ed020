// What occupies some tables during a window: read under the tables' locks by every call that
// seats or holds them.
#pragma once

#include <optional>
#include <vector>

#include "allocator/core/model.hpp"

namespace allocator::pg {

// Assignments of bookings other than `booking_id`, and every hold member (live or not), on
// `tables` overlapping `window`.
std::vector<Occupant> load_occupants(const std::vector<Uuid>& tables, const std::optional<Uuid>& booking_id,
                                     const Window& window);

}  // namespace allocator::pg
