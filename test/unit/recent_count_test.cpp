#include "allocator/core/recent_count.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

using FiveMinutes = RecentCount<300>;

// Zeroed, as shared memory is.
FiveMinutes empty_count() {
    FiveMinutes c;
    std::memset(&c, 0, sizeof c);
    return c;
}

// 2026-01-01 or so, in microseconds since 2000.
constexpr Timestamp kNow = 820000000LL * kSecond + 250000;

TEST(RecentCount, LivesInSharedMemory) {
    EXPECT_TRUE(std::is_trivially_copyable_v<FiveMinutes>);
    EXPECT_TRUE(std::is_standard_layout_v<FiveMinutes>);
    EXPECT_EQ(empty_count().total(kNow), 0u);
}

TEST(RecentCount, HasNoCap) {
    FiveMinutes c = empty_count();
    for (Timestamp i = 0; i < 1000; ++i) c.add(kNow + i * 1000, 1);  // 1000 in one second
    c.add(kNow + 2 * kSecond, 5000000000ULL);                        // beyond 32 bits
    EXPECT_EQ(c.total(kNow + 3 * kSecond), 5000001000ULL);
}

TEST(RecentCount, CountsEveryEventOfTheLastFiveMinutesExactly) {
    FiveMinutes c = empty_count();
    // One event every 700 ms for 10 minutes: many share a second, some seconds have none.
    Timestamp last = 0;
    for (Timestamp at = kNow; at < kNow + 600 * kSecond; at += 700000) {
        c.add(at, 1);
        last = at;
    }
    const Timestamp now = last + 1;
    std::uint64_t exact = 0;
    for (Timestamp at = kNow; at <= last; at += 700000)
        if (now - at <= 300 * kSecond) ++exact;
    const std::uint64_t counted = c.total(now);
    EXPECT_GE(counted, exact);      // conservative: nothing of the window is lost
    EXPECT_LE(counted, exact + 2);  // at most one extra second (here: at most 2 events)
}

TEST(RecentCount, AnEventCountsForFiveMinutesAndAtMostOneSecondMore) {
    FiveMinutes c = empty_count();
    c.add(kNow, 7);
    EXPECT_EQ(c.total(kNow), 7u);
    EXPECT_EQ(c.total(kNow + 300 * kSecond), 7u);
    EXPECT_EQ(c.total(kNow + 301 * kSecond - 250001), 7u);  // last microsecond of its second + 300 s
    EXPECT_EQ(c.total(kNow + 301 * kSecond - 250000), 0u);  // 301 s after its second began
    EXPECT_EQ(c.total(kNow + 3600 * kSecond), 0u);
}

TEST(RecentCount, ABucketReusedAfterTheWindowStartsAgain) {
    FiveMinutes c = empty_count();
    c.add(kNow, 3);
    c.add(kNow + 301 * kSecond, 2);  // same bucket, one window later
    EXPECT_EQ(c.total(kNow + 301 * kSecond), 2u);
    c.add(kNow + 301 * kSecond, 1);
    EXPECT_EQ(c.total(kNow + 302 * kSecond), 3u);
}

TEST(RecentCount, BurstsInManySecondsAddUp) {
    FiveMinutes c = empty_count();
    for (int s = 0; s < 300; ++s) c.add(kNow + s * kSecond, 100);
    EXPECT_EQ(c.total(kNow + 299 * kSecond), 30000u);
    EXPECT_EQ(c.total(kNow + 350 * kSecond), 100u * 250);  // seconds 50..299 remain
}

TEST(RecentCount, TimesBefore2000) {
    FiveMinutes c = empty_count();
    c.add(-1, 1);  // 1999-12-31 23:59:59.999999
    c.add(0, 1);
    EXPECT_EQ(FiveMinutes::second_of(-1), -1);
    EXPECT_EQ(c.total(0), 2u);
    EXPECT_EQ(c.total(300 * kSecond - 1), 2u);
    EXPECT_EQ(c.total(300 * kSecond), 1u);
    EXPECT_EQ(c.total(301 * kSecond), 0u);
}

}  // namespace
}  // namespace allocator::test
