#include "allocator/core/standby.hpp"

#include <gtest/gtest.h>

namespace allocator::test {
namespace {

TEST(ReadOnlyStandbyError, NamesThePrimaryTheStandbyStreamsFrom) {
    const AllocatorError e = read_only_standby_error("assign_tables_atomic_v2", PrimaryAddress{"10.0.0.7", 5433});
    EXPECT_EQ(e.state(), SqlState::ReadOnlyTransaction);
    EXPECT_STREQ(e.what(), "assign_tables_atomic_v2 cannot run on a standby: this server is in recovery and read-only");
    EXPECT_EQ(e.detail().to_json(), R"({"reason": "read_only_standby", "function": "assign_tables_atomic_v2", )"
                                    R"("primary_host": "10.0.0.7", "primary_port": 5433})");
    EXPECT_NE(e.hint().find("host=10.0.0.7 port=5433"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("target_session_attrs=read-write"), std::string::npos) << e.hint();
}

TEST(ReadOnlyStandbyError, WithoutAPrimarySaysAFailoverMayBeUnderWay) {
    const AllocatorError e = read_only_standby_error("create_table_hold", std::nullopt);
    EXPECT_EQ(e.detail().to_json(), R"({"reason": "read_only_standby", "function": "create_table_hold"})");
    EXPECT_NE(e.hint().find("no primary connected"), std::string::npos) << e.hint();
    EXPECT_EQ(e.hint().find("host="), std::string::npos) << e.hint();
}

}  // namespace
}  // namespace allocator::test
