// Rules of the hold lifecycle (docs/api.md#holds) over loaded rows: TTL bounds, ownership,
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

// The TTL check as it applies to a hold: the real time from `now` (the transaction's now())
// to the `expires_at` that is stored, computed as PostgreSQL computes now() + p_ttl, with
// calendar months and days. nullopt means there is no such timestamp (p_ttl is NULL, or
// now() + p_ttl overflows the timestamp range); that, an infinite expires_at, or a time
// outside 10 s .. 1 h is 22023 ttl_out_of_range.
void check_hold_expiry(Timestamp now, std::optional<Timestamp> expires_at);

struct HoldRecord {
    Uuid id;
    std::optional<Uuid> booking_id;
    Uuid restaurant_id;
    Uuid zone_id;
    std::vector<Uuid> table_ids;  // sorted
    Window window;
    bool live = false;  // expires_at > now()
};

[[noreturn]] void throw_hold_not_found(const Uuid& hold_id);

// 23514 when the hold belongs to another booking (or to none).
void check_hold_owner(const HoldRecord& hold, const Uuid& booking_id);

// P0002 when the hold has expired (whether or not the sweeper has removed it yet).
void check_hold_live(const HoldRecord& hold);

}  // namespace allocator
