#include "allocator/core/lock_budget.hpp"

#include <gtest/gtest.h>

namespace allocator::test {
namespace {

TEST(LockBudget, WithoutAStatementTimerItIsTheLockTimeout) {
    EXPECT_EQ(lock_budget_ms(2000, std::nullopt), 2000);
}

TEST(LockBudget, ALongStatementTimeoutLeavesTheLockTimeout) {
    EXPECT_EQ(lock_budget_ms(2000, 8000), 2000);  // Supabase's authenticated
    EXPECT_EQ(lock_budget_ms(2000, 3000), 2000);  // and anon: 3000 - 500 left
}

TEST(LockBudget, AShortStatementTimeoutCapsItWithAReserve) {
    EXPECT_EQ(lock_budget_ms(2000, 1000), 750);   // a quarter kept back
    EXPECT_EQ(lock_budget_ms(2000, 900), 675);    // of what is left
    EXPECT_EQ(lock_budget_ms(5000, 4000), 3500);  // the reserve is at most 500 ms
}

TEST(LockBudget, NothingLeftMeansNoWait) {
    EXPECT_EQ(lock_budget_ms(2000, 0), 0);
    EXPECT_EQ(lock_budget_ms(2000, -5), 0);  // the timer is already due
    EXPECT_EQ(lock_budget_ms(2000, 1), 1);
}

}  // namespace
}  // namespace allocator::test
