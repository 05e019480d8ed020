// Rules of the hold lifecycle (SPEC section 3) over loaded rows: TTL bounds, ownership,
// liveness. Conflict rules for holds live in allocation_rules.hpp with the others.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "allocator/core/model.hpp"

namespace allocator {

constexpr std::int64_t kMinHoldTtlMicros = 10LL * 1000000;    // 10 seconds
constexpr std::int64_t kMaxHoldTtlMicros = 3600LL * 1000000;  // 1 hour

// 22023 unless 10 s <= ttl <= 1 h.
void check_hold_ttl(std::int64_t ttl_micros);

struct HoldRecord {
    Uuid id;
    std::optional<Uuid> booking_id;
    Uuid restaurant_id;
    Uuid zone_id;
    std::vector<Uuid> table_ids;  // sorted
    Window window;
    bool live = false;            // expires_at > now()
};

[[noreturn]] void throw_hold_not_found(const Uuid& hold_id);

// 23514 when the hold belongs to another booking (or to none).
void check_hold_owner(const HoldRecord& hold, const Uuid& booking_id);

// P0002 when the hold has expired (whether or not the sweeper has removed it yet).
void check_hold_live(const HoldRecord& hold);

}  // namespace allocator
