#include "allocator/core/lock_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

// An id whose first `shared` bytes are a fixed pattern and whose remaining bytes are `tail`.
Uuid with_shared_prefix(std::size_t shared, std::uint8_t tail) {
    Uuid id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i)
        id.bytes[i] = i < shared ? static_cast<std::uint8_t>(0xa0 + i) : tail;
    return id;
}

TEST(LockKey, IsDeterministic) {
    const Uuid id = with_shared_prefix(8, 0x42);
    const Uuid copy = id;
    EXPECT_EQ(lock_key(id), lock_key(copy));
    EXPECT_EQ(lock_key(id), lock_key(id));
}

TEST(LockKey, IdsSharingTheirFirstEightBytesGetDifferentKeys) {
    // Time-ordered uuids (v7) share their leading timestamp bytes; a prefix hash would collide.
    EXPECT_NE(lock_key(with_shared_prefix(8, 0x01)), lock_key(with_shared_prefix(8, 0x02)));
}

TEST(LockKey, IdsDifferingOnlyInTheLastByteGetDifferentKeys) {
    std::set<std::uint64_t> keys;
    for (int last = 0; last < 256; ++last) {
        Uuid id = with_shared_prefix(15, 0);
        id.bytes[15] = static_cast<std::uint8_t>(last);
        keys.insert(lock_key(id));
    }
    EXPECT_EQ(keys.size(), 256u);
}

TEST(LockKey, EveryByteInfluencesTheKey) {
    const Uuid base = with_shared_prefix(16, 0);
    for (std::size_t i = 0; i < base.bytes.size(); ++i) {
        Uuid changed = base;
        changed.bytes[i] ^= 0x01;
        EXPECT_NE(lock_key(base), lock_key(changed)) << "byte " << i;
    }
}

TEST(LockKey, UsesTheWholeSixtyFourBitRange) {
    // The PostgreSQL layer puts the key into two 32-bit locktag fields; both halves must
    // vary, or the lock space degenerates to 32 bits.
    std::set<std::uint32_t> high;
    std::set<std::uint32_t> low;
    for (std::uint8_t n = 0; n < 64; ++n) {
        const std::uint64_t key = lock_key(table_id(n));
        high.insert(static_cast<std::uint32_t>(key >> 32));
        low.insert(static_cast<std::uint32_t>(key));
    }
    EXPECT_EQ(high.size(), 64u);
    EXPECT_EQ(low.size(), 64u);
}

TEST(LockKey, ZeroUuidHasANonZeroKey) {
    EXPECT_NE(lock_key(Uuid{}), 0u);
}

TEST(SortedLockKeys, EmptyInputGivesNoKeys) {
    EXPECT_TRUE(sorted_lock_keys({}).empty());
}

TEST(SortedLockKeys, KeysAreAscending) {
    const std::vector<Uuid> ids{table_id(5), table_id(1), table_id(9), table_id(3), table_id(7)};
    const std::vector<std::uint64_t> keys = sorted_lock_keys(ids);
    ASSERT_EQ(keys.size(), ids.size());
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
}

TEST(SortedLockKeys, KeysAreTheLockKeysOfTheIds) {
    const std::vector<Uuid> ids{table_id(2), table_id(1)};
    std::vector<std::uint64_t> expected{lock_key(table_id(1)), lock_key(table_id(2))};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(sorted_lock_keys(ids), expected);
}

TEST(SortedLockKeys, DuplicateIdsGiveOneKey) {
    const std::vector<Uuid> ids{table_id(4), table_id(4), table_id(2), table_id(4), table_id(2)};
    const std::vector<std::uint64_t> keys = sorted_lock_keys(ids);
    EXPECT_EQ(keys.size(), 2u);
}

TEST(SortedLockKeys, OrderDoesNotDependOnInputOrder) {
    // Two calls locking the same tables must take the locks in the same order.
    const std::vector<Uuid> forward{table_id(1), table_id(2), table_id(3), table_id(4)};
    const std::vector<Uuid> backward{table_id(4), table_id(3), table_id(2), table_id(1)};
    EXPECT_EQ(sorted_lock_keys(forward), sorted_lock_keys(backward));
}

}  // namespace
}  // namespace allocator::test
