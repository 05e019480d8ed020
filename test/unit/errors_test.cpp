#include "allocator/core/errors.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

TEST(SqlstateCode, MatchesTheErrorContract) {
    EXPECT_STREQ(sqlstate_code(SqlState::InvalidParameter), "22023");
    EXPECT_STREQ(sqlstate_code(SqlState::NotFound), "P0002");
    EXPECT_STREQ(sqlstate_code(SqlState::CheckViolation), "23514");
    EXPECT_STREQ(sqlstate_code(SqlState::ExclusionViolation), "23P01");
    EXPECT_STREQ(sqlstate_code(SqlState::LockNotAvailable), "55P03");
    EXPECT_STREQ(sqlstate_code(SqlState::InsufficientPrivilege), "42501");
    EXPECT_STREQ(sqlstate_code(SqlState::ReadOnlyTransaction), "25006");
}

TEST(ErrorDetail, ReasonAloneIsAOneFieldObject) {
    EXPECT_EQ(ErrorDetail("no_tables").to_json(), R"({"reason": "no_tables"})");
}

TEST(ErrorDetail, FieldsFollowTheReasonInInsertionOrder) {
    ErrorDetail detail("assignment_overlap");
    detail.add("zeta", "z").add("alpha", 7LL).add("table_id", table_id(1));
    EXPECT_EQ(detail.to_json(), R"({"reason": "assignment_overlap", "zeta": "z", "alpha": 7, )"
                                R"("table_id": "7a000000-0000-0000-0000-000000000001"})");
}

TEST(ErrorDetail, ValuesKeysAndReasonAreEscaped) {
    ErrorDetail detail("bad \"reason\"");
    detail.add("key\\with\nnewline", std::string("line1\nline2\t\"quoted\"\\\x02"));
    EXPECT_EQ(detail.to_json(),
              R"({"reason": "bad \"reason\"", "key\\with\nnewline": "line1\nline2\t\"quoted\"\\\u0002"})");
}

TEST(ErrorDetail, KeepsItsReason) {
    EXPECT_EQ(ErrorDetail("hold_overlap").reason(), "hold_overlap");
}

TEST(AllocatorError, CarriesStateMessageDetailAndHint) {
    const AllocatorError error(SqlState::LockNotAvailable, "lock not obtained",
                               ErrorDetail("lock_timeout").add("timeout_ms", 2000LL), "Retry.");
    EXPECT_EQ(error.state(), SqlState::LockNotAvailable);
    EXPECT_STREQ(error.what(), "lock not obtained");
    EXPECT_EQ(error.detail().to_json(), R"({"reason": "lock_timeout", "timeout_ms": 2000})");
    EXPECT_EQ(error.hint(), "Retry.");
}

TEST(AllocatorError, IsARuntimeError) {
    // The PostgreSQL entry-point guard may catch std::exception; it must still see the message.
    try {
        throw AllocatorError(SqlState::NotFound, "booking x does not exist", ErrorDetail("booking_not_found"), "");
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "booking x does not exist");
        return;
    }
    FAIL() << "AllocatorError was not caught as std::runtime_error";
}

}  // namespace
}  // namespace allocator::test
