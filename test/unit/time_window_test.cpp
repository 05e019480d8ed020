#include "allocator/core/time_window.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

// Seconds since 2000-01-01T00:00:00Z, as microseconds.
constexpr Timestamp at_seconds(long long seconds) {
    return seconds * kSecond;
}

TEST(ExplicitWindow, NeitherEndMeansTheBookingsWindow) {
    EXPECT_EQ(explicit_window(std::nullopt, std::nullopt), std::nullopt);
}

TEST(ExplicitWindow, BothEndsWithStartBeforeEndIsReturnedAsGiven) {
    const std::optional<Window> w = explicit_window(19 * kHour, 21 * kHour);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->start, 19 * kHour);
    EXPECT_EQ(w->end, 21 * kHour);
}

TEST(ExplicitWindow, OneMicrosecondWindowIsAccepted) {
    EXPECT_EQ(explicit_window(5, 6), (Window{5, 6}));
}

TEST(ExplicitWindow, OnlyStartIsInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(19 * kHour, std::nullopt); }), SqlState::InvalidParameter,
                           "window_incomplete"));
}

TEST(ExplicitWindow, OnlyEndIsInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(std::nullopt, 21 * kHour); }), SqlState::InvalidParameter,
                           "window_incomplete"));
}

TEST(ExplicitWindow, StartEqualToEndIsInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(19 * kHour, 19 * kHour); }), SqlState::InvalidParameter,
                           "window_empty"));
}

TEST(ExplicitWindow, StartAfterEndIsInvalidParameterNamingBothEnds) {
    const auto error = error_from([] { explicit_window(21 * kHour, 19 * kHour); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "window_empty"));
    EXPECT_EQ(std::string(sqlstate_code(error->state())), "22023");
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("start_at", "2000-01-01T21:00:00Z")));
    EXPECT_TRUE(contains(json, json_field("end_at", "2000-01-01T19:00:00Z")));
}

// Bounds: [2000-01-01, 2100-01-01) UTC, at most 24 hours.
constexpr Timestamp kJune2030 = 960000000LL * kSecond;  // 2030-06-02T..Z

TEST(ExplicitWindow, EdgesOfTheCalendarRangeAreAccepted) {
    EXPECT_EQ(explicit_window(kEarliestWindowStart, kEarliestWindowStart + kHour),
              (Window{kEarliestWindowStart, kEarliestWindowStart + kHour}));
    EXPECT_EQ(explicit_window(kLatestWindowEnd - kHour, kLatestWindowEnd),
              (Window{kLatestWindowEnd - kHour, kLatestWindowEnd}));
    EXPECT_EQ(format_timestamp(kLatestWindowEnd), "2100-01-01T00:00:00Z");
}

TEST(ExplicitWindow, StartBefore2000IsOutOfRange) {
    const auto error = error_from([] { explicit_window(kEarliestWindowStart - 1, kEarliestWindowStart + kHour); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "window_out_of_range"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("earliest_start_at", "2000-01-01T00:00:00Z")));
    EXPECT_TRUE(contains(json, json_field("latest_end_at", "2100-01-01T00:00:00Z")));
}

TEST(ExplicitWindow, EndAfter2099IsOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(kLatestWindowEnd - kHour, kLatestWindowEnd + 1); }),
                           SqlState::InvalidParameter, "window_out_of_range"));
}

TEST(ExplicitWindow, WholeTimestampRangeIsOutOfRange) {
    // 4713 BC to 294276 AD, PostgreSQL's own limits.
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(-211813488000LL * kSecond, 9223371331199LL * kSecond); }),
                           SqlState::InvalidParameter, "window_out_of_range"));
}

TEST(ExplicitWindow, ExactlyADayIsAccepted) {
    EXPECT_EQ(explicit_window(kJune2030, kJune2030 + kDay), (Window{kJune2030, kJune2030 + kDay}));
}

TEST(ExplicitWindow, LongerThanADayIsTooLong) {
    const auto error = error_from([] { explicit_window(kJune2030, kJune2030 + kDay + 1); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "window_too_long"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"max_hours\": 24"));
}

TEST(ExplicitWindow, EmptyIsReportedBeforeOutOfRange) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(kLatestWindowEnd + kHour, kEarliestWindowStart - kHour); }),
                           SqlState::InvalidParameter, "window_empty"));
}

TEST(ExplicitWindow, OutOfRangeIsReportedBeforeTooLong) {
    EXPECT_TRUE(fails_with(error_from([] { explicit_window(kEarliestWindowStart - kHour, kLatestWindowEnd); }),
                           SqlState::InvalidParameter, "window_out_of_range"));
}

TEST(FormatTimestamp, ZeroIsThePostgresEpoch) {
    EXPECT_EQ(format_timestamp(0), "2000-01-01T00:00:00Z");
}

TEST(FormatTimestamp, SubSecondPartIsTruncated) {
    EXPECT_EQ(format_timestamp(kSecond - 1), "2000-01-01T00:00:00Z");
    EXPECT_EQ(format_timestamp(kSecond), "2000-01-01T00:00:01Z");
}

TEST(FormatTimestamp, NegativeValuesRoundTowardsThePast) {
    // -1 µs is the last instant of 1999, not 2000-01-01T00:00:00 (truncation towards zero).
    EXPECT_EQ(format_timestamp(-1), "1999-12-31T23:59:59Z");
    EXPECT_EQ(format_timestamp(-kSecond), "1999-12-31T23:59:59Z");
    EXPECT_EQ(format_timestamp(-kSecond - 1), "1999-12-31T23:59:58Z");
    EXPECT_EQ(format_timestamp(-kDay), "1999-12-31T00:00:00Z");
}

TEST(FormatTimestamp, UnixEpoch) {
    EXPECT_EQ(format_timestamp(at_seconds(-946684800)), "1970-01-01T00:00:00Z");
}

TEST(FormatTimestamp, LeapDayOf2000) {
    EXPECT_EQ(format_timestamp(59 * kDay), "2000-02-29T00:00:00Z");
    EXPECT_EQ(format_timestamp(60 * kDay), "2000-03-01T00:00:00Z");
}

TEST(FormatTimestamp, LeapDayOf2024WithTimeOfDay) {
    EXPECT_EQ(format_timestamp(at_seconds(762525296)), "2024-02-29T12:34:56Z");
}

TEST(FormatTimestamp, CenturyYearsThatAreNotLeapYearsSkipFebruary29) {
    EXPECT_EQ(format_timestamp(at_seconds(3160857599)), "2100-02-28T23:59:59Z");
    EXPECT_EQ(format_timestamp(at_seconds(3160857600)), "2100-03-01T00:00:00Z");
    EXPECT_EQ(format_timestamp(at_seconds(-3150576001)), "1900-02-28T23:59:59Z");
    EXPECT_EQ(format_timestamp(at_seconds(-3150576000)), "1900-03-01T00:00:00Z");
}

TEST(FormatTimestamp, LeapDayOf1600BeforeTheEpoch) {
    EXPECT_EQ(format_timestamp(at_seconds(-12617683200)), "1600-02-29T00:00:00Z");
}

TEST(WindowToString, IsHalfOpenIso8601) {
    const Window w{at_seconds(849294000), at_seconds(849301200)};
    EXPECT_EQ(w.to_string(), "[2026-11-29T19:00:00Z, 2026-11-29T21:00:00Z)");
}

TEST(WindowOverlaps, TouchingHalfOpenWindowsDoNotOverlap) {
    EXPECT_FALSE(hours(19, 21).overlaps(hours(21, 23)));
    EXPECT_FALSE(hours(21, 23).overlaps(hours(19, 21)));
}

TEST(WindowOverlaps, SharedMicrosecondOverlapsInBothDirections) {
    const Window a{0, 10};
    const Window b{9, 20};
    EXPECT_TRUE(a.overlaps(b));
    EXPECT_TRUE(b.overlaps(a));
}

TEST(WindowOverlaps, ContainedWindowOverlaps) {
    EXPECT_TRUE(hours(18, 23).overlaps(hours(19, 20)));
    EXPECT_TRUE(hours(19, 20).overlaps(hours(18, 23)));
}

TEST(WindowEquality, ComparesBothEnds) {
    EXPECT_EQ(hours(19, 21), hours(19, 21));
    EXPECT_NE(hours(19, 21), hours(19, 22));
    EXPECT_NE(hours(19, 21), hours(18, 21));
}

}  // namespace
}  // namespace allocator::test
