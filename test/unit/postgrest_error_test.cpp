#include "allocator/core/postgrest_error.hpp"

#include <gtest/gtest.h>

namespace allocator::test {
namespace {

int status_of(const char* sqlstate) {
    const auto status = postgrest_status(sqlstate);
    return status ? status->status : 0;
}

TEST(PostgrestStatus, EachErrorOfTheContractHasTheStatusItMeans) {
    EXPECT_EQ(status_of("22023"), 400);
    EXPECT_EQ(status_of("P0002"), 404);
    EXPECT_EQ(status_of("23P01"), 409);
    EXPECT_EQ(status_of("23514"), 422);
    EXPECT_EQ(status_of("42501"), 403);
    EXPECT_EQ(status_of("55P03"), 503);
}

TEST(PostgrestStatus, OnlyALockTimeoutAsksForARetry) {
    EXPECT_EQ(postgrest_status("55P03")->retry_after_seconds, 1);
    for (const char* other : {"22023", "P0002", "23P01", "23514", "42501"})
        EXPECT_EQ(postgrest_status(other)->retry_after_seconds, 0) << other;
}

TEST(PostgrestStatus, OtherErrorsAreLeftToPostgrest) {
    for (const char* other : {"57014", "40001", "40P01", "XX000", "23505", "P0001", "55000", "PGRST", ""})
        EXPECT_FALSE(postgrest_status(other).has_value()) << other;
}

TEST(PostgrestErrorBody, KeepsTheSqlstateAndTheDetailAsAString) {
    EXPECT_EQ(postgrest_error_body("23P01", "table t is taken", R"({"reason": "assignment_overlap"})", "pick another"),
              R"({"code": "23P01", "message": "table t is taken", )"
              R"("details": "{\"reason\": \"assignment_overlap\"}", "hint": "pick another"})");
}

TEST(PostgrestErrorBody, MissingDetailAndHintAreEmptyStrings) {
    EXPECT_EQ(postgrest_error_body("P0002", "gone", nullptr, nullptr),
              R"({"code": "P0002", "message": "gone", "details": "", "hint": ""})");
}

TEST(PostgrestErrorStatus, HeadersAreAlwaysPresent) {
    EXPECT_EQ(postgrest_error_status(PostgrestStatus{409, 0}), R"({"status": 409, "headers": {}})");
    EXPECT_EQ(postgrest_error_status(PostgrestStatus{503, 1}), R"({"status": 503, "headers": {"Retry-After": "1"}})");
}

}  // namespace
}  // namespace allocator::test
