#include "allocator/core/lock_budget.hpp"

#include <gtest/gtest.h>

namespace allocator::test {
namespace {

TEST(LockBudget, WithoutStatementTimeoutItIsTheLockTimeout) {
    EXPECT_EQ(lock_budget_ms(2000, 0, 0), 2000);
    EXPECT_EQ(lock_budget_ms(2000, 0, 99999), 2000);
}

TEST(LockBudget, ALongStatementTimeoutLeavesTheLockTimeout) {
    EXPECT_EQ(lock_budget_ms(2000, 8000, 0), 2000);  // Supabase's authenticated
    EXPECT_EQ(lock_budget_ms(2000, 3000, 0), 2000);  // and anon: 3000 - 500 left
}

TEST(LockBudget, AShortStatementTimeoutCapsItWithAReserve) {
    EXPECT_EQ(lock_budget_ms(2000, 1000, 0), 750);    // a quarter kept back
    EXPECT_EQ(lock_budget_ms(2000, 1000, 100), 650);  // minus what the statement used
    EXPECT_EQ(lock_budget_ms(5000, 4000, 0), 3500);   // the reserve is at most 500 ms
}

TEST(LockBudget, NothingLeftMeansNoWait) {
    EXPECT_EQ(lock_budget_ms(2000, 1000, 750), 0);
    EXPECT_EQ(lock_budget_ms(2000, 1000, 5000), 0);
    EXPECT_EQ(lock_budget_ms(2000, 1000, -5), 750);  // a clock step back counts as no time used
}

}  // namespace
}  // namespace allocator::test
