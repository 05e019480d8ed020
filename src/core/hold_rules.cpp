#include "allocator/core/hold_rules.hpp"

#include <string>

#include "allocator/core/errors.hpp"

namespace allocator {

namespace {

// ttl_seconds is left out when there is no TTL to report (NULL, or no such timestamp).
[[noreturn]] void throw_ttl_out_of_range(std::optional<std::int64_t> ttl_micros) {
    ErrorDetail detail("ttl_out_of_range");
    if (ttl_micros) detail.add("ttl_seconds", static_cast<long long>(*ttl_micros / 1000000));
    detail.add("min_seconds", static_cast<long long>(kMinHoldTtlMicros / 1000000))
        .add("max_seconds", static_cast<long long>(kMaxHoldTtlMicros / 1000000));
    throw AllocatorError(SqlState::InvalidParameter, "hold TTL must be between 10 seconds and 1 hour",
                         std::move(detail),
                         "Pass p_ttl such as '3 minutes'. A hold's expiry is independent of the dining window.");
}

}  // namespace

void check_hold_ttl(std::int64_t ttl_micros) {
    if (ttl_micros >= kMinHoldTtlMicros && ttl_micros <= kMaxHoldTtlMicros) return;
    throw_ttl_out_of_range(ttl_micros);
}

void check_hold_expiry(Timestamp now, std::optional<Timestamp> expires_at) {
    if (!expires_at || *expires_at == kNegativeInfinity || *expires_at == kPositiveInfinity)
        throw_ttl_out_of_range(std::nullopt);
    std::int64_t ttl_micros = 0;
    if (__builtin_sub_overflow(*expires_at, now, &ttl_micros)) throw_ttl_out_of_range(std::nullopt);
    check_hold_ttl(ttl_micros);
}

void throw_hold_not_found(const Uuid& hold_id) {
    throw AllocatorError(SqlState::NotFound, "hold " + hold_id.to_string() + " does not exist",
                         ErrorDetail("hold_not_found").add("hold_id", hold_id),
                         "It may have been confirmed, released or swept after expiring; create a new hold.");
}

void check_hold_owner(const HoldRecord& hold, const Uuid& booking_id) {
    if (hold.booking_id && *hold.booking_id == booking_id) return;
    ErrorDetail detail("hold_not_owned");
    detail.add("hold_id", hold.id).add("booking_id", booking_id);
    if (hold.booking_id) detail.add("owner_booking_id", *hold.booking_id);
    throw AllocatorError(SqlState::CheckViolation,
                         "hold " + hold.id.to_string() + " does not belong to booking " + booking_id.to_string(),
                         std::move(detail), "Pass the booking the hold was created for.");
}

void check_hold_live(const HoldRecord& hold) {
    if (hold.live) return;
    throw AllocatorError(SqlState::NotFound, "hold " + hold.id.to_string() + " has expired",
                         ErrorDetail("hold_expired").add("hold_id", hold.id),
                         "Create a new hold; an expired hold no longer reserves its tables.");
}

}  // namespace allocator
