#include "allocator/core/lock_keys.hpp"

#include <algorithm>

namespace allocator {

std::uint64_t lock_key(const Uuid& id) {
    // FNV-1a over every byte, then the splitmix64 finalizer so that ids differing in one
    // byte spread over the whole key space.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::uint8_t b : id.bytes) {
        h ^= b;
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

std::vector<LockTarget> lock_order(const std::vector<Uuid>& ids) {
    std::vector<LockTarget> targets;
    targets.reserve(ids.size());
    for (const Uuid& id : ids) targets.push_back({lock_key(id), id});
    std::sort(targets.begin(), targets.end(),
              [](const LockTarget& a, const LockTarget& b) { return a.key != b.key ? a.key < b.key : a.id < b.id; });
    targets.erase(std::unique(targets.begin(), targets.end(),
                              [](const LockTarget& a, const LockTarget& b) { return a.key == b.key; }),
                  targets.end());
    return targets;
}

std::vector<std::uint64_t> sorted_lock_keys(const std::vector<Uuid>& ids) {
    std::vector<std::uint64_t> keys;
    for (const LockTarget& t : lock_order(ids)) keys.push_back(t.key);
    return keys;
}

}  // namespace allocator
