#include "allocator/core/hold_rules.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

HoldRecord hold_for(std::optional<std::uint8_t> booking, bool live = true) {
    HoldRecord hold;
    hold.id = hold_id(7);
    if (booking) hold.booking_id = booking_id(*booking);
    hold.restaurant_id = restaurant_id(1);
    hold.zone_id = zone_id(1);
    hold.table_ids = {table_id(1)};
    hold.window = hours(19, 21);
    hold.live = live;
    return hold;
}

TEST(CheckHoldTtl, BoundsAreInclusive) {
    EXPECT_NO_THROW(check_hold_ttl(10 * kSecond));
    EXPECT_NO_THROW(check_hold_ttl(3 * kMinute));  // the default '3 minutes'
    EXPECT_NO_THROW(check_hold_ttl(kHour));
}

TEST(CheckHoldTtl, JustUnderTenSecondsIsInvalidParameter) {
    const auto error = error_from([] { check_hold_ttl(10 * kSecond - 1); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "ttl_out_of_range"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, "\"min_seconds\": 10"));
    EXPECT_TRUE(contains(json, "\"max_seconds\": 3600"));
}

TEST(CheckHoldTtl, JustOverAnHourIsInvalidParameter) {
    const auto error = error_from([] { check_hold_ttl(kHour + 1); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"ttl_seconds\": 3600"));
}

TEST(CheckHoldTtl, ZeroAndNegativeAreInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { check_hold_ttl(0); }), SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(fails_with(error_from([] { check_hold_ttl(-kHour); }), SqlState::InvalidParameter, "ttl_out_of_range"));
}

// check_hold_expiry: the TTL is expires_at - now, whatever interval produced expires_at.
constexpr Timestamp kNow = 850000000LL * kSecond;  // late 2026

TEST(CheckHoldExpiry, RealTimeWithinBoundsPasses) {
    EXPECT_NO_THROW(check_hold_expiry(kNow, kNow + 10 * kSecond));
    EXPECT_NO_THROW(check_hold_expiry(kNow, kNow + 3 * kMinute));
    EXPECT_NO_THROW(check_hold_expiry(kNow, kNow + kHour));
}

TEST(CheckHoldExpiry, ADayAwayIsOutOfRangeReportingTheRealTtl) {
    // '1 mon -30 days 59 minutes' from a 31-day month: 1 day 59 minutes.
    const auto error = error_from([] { check_hold_expiry(kNow, kNow + kDay + 59 * kMinute); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"ttl_seconds\": 89940"));
}

TEST(CheckHoldExpiry, AlreadyExpiredIsOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNow, kNow - kDay + 30 * kMinute); }),
                           SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(
        fails_with(error_from([] { check_hold_expiry(kNow, kNow); }), SqlState::InvalidParameter, "ttl_out_of_range"));
}

TEST(CheckHoldExpiry, JustOutsideTheBoundsIsOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNow, kNow + 10 * kSecond - 1); }),
                           SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNow, kNow + kHour + 1); }), SqlState::InvalidParameter,
                           "ttl_out_of_range"));
}

TEST(CheckHoldExpiry, NoTimestampIsOutOfRangeWithoutATtl) {
    const auto error = error_from([] { check_hold_expiry(kNow, std::nullopt); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "ttl_out_of_range"));
    const std::string json = error->detail().to_json();
    EXPECT_FALSE(contains(json, "ttl_seconds"));
    EXPECT_TRUE(contains(json, "\"min_seconds\": 10"));
    EXPECT_TRUE(contains(json, "\"max_seconds\": 3600"));
}

TEST(CheckHoldExpiry, InfiniteExpiryIsOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNow, kPositiveInfinity); }), SqlState::InvalidParameter,
                           "ttl_out_of_range"));
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNow, kNegativeInfinity); }), SqlState::InvalidParameter,
                           "ttl_out_of_range"));
}

TEST(CheckHoldExpiry, DifferenceThatOverflowsIsOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kNegativeInfinity + 1, kPositiveInfinity - 1); }),
                           SqlState::InvalidParameter, "ttl_out_of_range"));
    EXPECT_TRUE(fails_with(error_from([] { check_hold_expiry(kPositiveInfinity - 1, kNegativeInfinity + 1); }),
                           SqlState::InvalidParameter, "ttl_out_of_range"));
}

TEST(ThrowHoldNotFound, IsNotFoundNamingTheHold) {
    const auto error = error_from([] { throw_hold_not_found(hold_id(3)); });
    ASSERT_TRUE(fails_with(error, SqlState::NotFound, "hold_not_found"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("hold_id", hold_id(3).to_string())));
}

TEST(CheckHoldOwner, OwnerBookingPasses) {
    EXPECT_NO_THROW(check_hold_owner(hold_for(1), booking_id(1)));
}

TEST(CheckHoldOwner, OtherBookingIsACheckViolationNamingTheOwner) {
    const auto error = error_from([] { check_hold_owner(hold_for(1), booking_id(2)); });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "hold_not_owned"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("owner_booking_id", booking_id(1).to_string())));
    EXPECT_TRUE(contains(json, json_field("booking_id", booking_id(2).to_string())));
    EXPECT_TRUE(contains(json, json_field("hold_id", hold_id(7).to_string())));
}

TEST(CheckHoldOwner, HoldWithoutABookingBelongsToNoBooking) {
    const auto error = error_from([] { check_hold_owner(hold_for(std::nullopt), booking_id(1)); });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "hold_not_owned"));
    EXPECT_FALSE(contains(error->detail().to_json(), "owner_booking_id"));
}

TEST(CheckHoldLive, LiveHoldPasses) {
    EXPECT_NO_THROW(check_hold_live(hold_for(1, /*live=*/true)));
}

TEST(CheckHoldLive, ExpiredHoldIsNotFound) {
    const auto error = error_from([] { check_hold_live(hold_for(1, /*live=*/false)); });
    ASSERT_TRUE(fails_with(error, SqlState::NotFound, "hold_expired"));
    EXPECT_STREQ(sqlstate_code(error->state()), "P0002");
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("hold_id", hold_id(7).to_string())));
}

}  // namespace
}  // namespace allocator::test
