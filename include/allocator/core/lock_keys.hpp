// Keys for the allocator's private advisory-lock space.
#pragma once

#include <cstdint>
#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator {

// 64-bit hash of all 16 bytes of the id (never a prefix: ids sharing their first bytes are
// common, e.g. time-ordered uuids).
std::uint64_t lock_key(const Uuid& id);

struct LockTarget {
    std::uint64_t key;
    Uuid id;  // the object locked, for error messages
};

// The one global order every allocator call takes its table locks in (by key), so two
// calls can never wait on each other in a cycle. A key shared by two ids (a hash
// collision) appears once.
std::vector<LockTarget> lock_order(const std::vector<Uuid>& ids);

// Just the keys of lock_order(ids).
std::vector<std::uint64_t> sorted_lock_keys(const std::vector<Uuid>& ids);

}  // namespace allocator
