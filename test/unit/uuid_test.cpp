#include "allocator/core/uuid.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

TEST(Uuid, PrintsCanonicalLowerCaseText) {
    Uuid id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
    EXPECT_EQ(id.to_string(), "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
}

TEST(Uuid, DefaultIsTheNilUuid) {
    EXPECT_EQ(Uuid{}.to_string(), "00000000-0000-0000-0000-000000000000");
}

TEST(Uuid, OrdersByBytesLikePostgresUuidComparison) {
    // PostgreSQL compares uuids with memcmp: the first differing byte decides.
    EXPECT_LT(uuid(0x01, 0xff), uuid(0x02, 0x00));
    EXPECT_LT(uuid(0x01, 0x01), uuid(0x01, 0x02));
    EXPECT_FALSE(uuid(0x01, 0x01) < uuid(0x01, 0x01));
}

TEST(Uuid, EqualityComparesEveryByte) {
    EXPECT_EQ(uuid(1, 2), uuid(1, 2));
    EXPECT_NE(uuid(1, 2), uuid(1, 3));
    EXPECT_NE(uuid(1, 2), uuid(2, 2));
}

}  // namespace
}  // namespace allocator::test
