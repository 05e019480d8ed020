// Keys for the allocator's private advisory-lock space.
#pragma once

#include <cstdint>
#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator {

// 64-bit hash of all 16 bytes of the id (never a prefix: ids sharing their first bytes are
// common, e.g. time-ordered uuids).
std::uint64_t lock_key(const Uuid& id);

// Lock keys for a set of tables in the one global order every allocator call uses, so two
// calls can never wait on each other in a cycle. Duplicates (hash collisions) are removed.
std::vector<std::uint64_t> sorted_lock_keys(const std::vector<Uuid>& ids);

}  // namespace allocator
