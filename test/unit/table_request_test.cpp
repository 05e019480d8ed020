#include "allocator/core/table_request.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

using RawIds = std::vector<std::optional<Uuid>>;

// n distinct table ids, 1..n.
RawIds distinct_tables(int n) {
    RawIds raw;
    for (int i = 1; i <= n; ++i) raw.emplace_back(table_id(static_cast<std::uint8_t>(i)));
    return raw;
}

TEST(NormalizeTableIds, EmptyListIsInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { normalize_table_ids({}); }), SqlState::InvalidParameter, "no_tables"));
}

TEST(NormalizeTableIds, NullElementIsInvalidParameterWithItsPosition) {
    const RawIds raw{table_id(1), std::nullopt, table_id(3)};
    const auto error = error_from([&] { normalize_table_ids(raw); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "null_table_id"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"position\": 2"));
}

TEST(NormalizeTableIds, OnlyNullIsInvalidParameter) {
    EXPECT_TRUE(fails_with(error_from([] { normalize_table_ids({std::nullopt}); }), SqlState::InvalidParameter,
                           "null_table_id"));
}

TEST(NormalizeTableIds, MessageNamesTheArgument) {
    const auto error = error_from([] { normalize_table_ids({}, "p_other"); });
    ASSERT_TRUE(error.has_value());
    EXPECT_TRUE(contains(error->what(), "p_other"));
}

TEST(NormalizeTableIds, SingleTableIsReturned) {
    EXPECT_EQ(normalize_table_ids({table_id(9)}), std::vector<Uuid>{table_id(9)});
}

TEST(NormalizeTableIds, DuplicatesAreRemovedAndResultIsSorted) {
    const RawIds raw{table_id(3), table_id(1), table_id(3), table_id(2), table_id(1)};
    const std::vector<Uuid> expected{table_id(1), table_id(2), table_id(3)};
    EXPECT_EQ(normalize_table_ids(raw), expected);
}

TEST(NormalizeTableIds, SortsByEveryByteNotJustTheLast) {
    // Same last byte, different first byte: the first byte decides the order.
    const Uuid high = uuid(0xff, 1);
    const Uuid low = uuid(0x01, 2);
    EXPECT_EQ(normalize_table_ids({high, low}), (std::vector<Uuid>{low, high}));
}

TEST(NormalizeTableIds, SixteenDistinctTablesAreAllowed) {
    EXPECT_EQ(normalize_table_ids(distinct_tables(16)).size(), 16u);
}

TEST(NormalizeTableIds, SeventeenDistinctTablesAreTooMany) {
    const auto error = error_from([] { normalize_table_ids(distinct_tables(17)); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "too_many_tables"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, "\"count\": 17"));
    EXPECT_TRUE(contains(json, "\"limit\": 16"));
}

TEST(NormalizeTableIds, LimitCountsDistinctTablesNotElements) {
    RawIds raw = distinct_tables(16);
    raw.push_back(table_id(1));
    raw.push_back(table_id(5));
    raw.push_back(table_id(16));
    raw.push_back(table_id(16));
    ASSERT_EQ(raw.size(), 20u);
    const std::vector<Uuid> ids = normalize_table_ids(raw);
    EXPECT_EQ(ids.size(), 16u);
    EXPECT_EQ(ids.front(), table_id(1));
    EXPECT_EQ(ids.back(), table_id(16));
}

TEST(NormalizeTableIds, NullIsRejectedEvenAfterManyDuplicates) {
    RawIds raw(20, table_id(1));
    raw.back() = std::nullopt;
    EXPECT_TRUE(fails_with(error_from([&] { normalize_table_ids(raw); }), SqlState::InvalidParameter, "null_table_id"));
}

TEST(CheckTableArraySize, UpToFourTimesTheDistinctLimitIsRead) {
    EXPECT_EQ(kMaxTableArrayElements, 64u);
    EXPECT_NO_THROW(check_table_array_size(0));
    EXPECT_NO_THROW(check_table_array_size(64));
}

TEST(CheckTableArraySize, LongerArrayIsTooManyTablesNamingBothLimits) {
    const auto error = error_from([] { check_table_array_size(50000000); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "too_many_tables"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, "\"elements\": 50000000"));
    EXPECT_TRUE(contains(json, "\"element_limit\": 64"));
    EXPECT_TRUE(contains(json, "\"limit\": 16"));
    EXPECT_TRUE(contains(error->what(), "p_table_ids"));
}

TEST(NormalizeTableIds, SixtyFourCopiesOfOneTableAreOneTable) {
    EXPECT_EQ(normalize_table_ids(RawIds(64, table_id(1))), std::vector<Uuid>{table_id(1)});
}

TEST(NormalizeTableIds, SixtyFiveElementsAreTooManyEvenAsCopies) {
    const auto error = error_from([] { normalize_table_ids(RawIds(65, table_id(1))); });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "too_many_tables"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"elements\": 65"));
}

}  // namespace
}  // namespace allocator::test
