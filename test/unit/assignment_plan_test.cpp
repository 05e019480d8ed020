#include "allocator/core/assignment_plan.hpp"

#include <gtest/gtest.h>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

// What plan_assignment is given, with defaults: booking 1 (party of 2, 19-21h, no zone pin),
// tables 1-4 in zone 1, no existing assignments, no edges, default flags.
struct PlanInput {
    Booking booking = make_booking(1);
    std::vector<Uuid> requested;
    Window window = hours(19, 21);
    std::vector<ExistingAssignment> existing;
    std::vector<TableInfo> tables = {make_table(1), make_table(2), make_table(3), make_table(4)};
    std::vector<AdjacencyEdge> edges;
    Flags flags;
    bool require_adjacency_argument = false;

    AssignmentPlan plan(int* groups_made = nullptr) const {
        return plan_assignment(
            AssignmentInput{booking, requested, window, existing, tables, edges, flags, require_adjacency_argument},
            [groups_made] {
                if (groups_made) ++*groups_made;
                return uuid(0x99, 1);
            });
    }
};

const Uuid kNewGroup = uuid(0x99, 1);

ExistingAssignment existing_table(std::uint8_t table, Window window = hours(19, 21),
                                  std::optional<Uuid> group = std::nullopt) {
    return ExistingAssignment{table_id(table), window, group};
}

TEST(PlanAssignment, SingleTableIsAddedPinnedAndUngrouped) {
    PlanInput in;
    in.requested = {table_id(1)};
    int groups = 0;
    const AssignmentPlan plan = in.plan(&groups);
    EXPECT_TRUE(plan.writes);
    EXPECT_EQ(plan.added, std::vector<Uuid>{table_id(1)});
    EXPECT_EQ(plan.zone, zone_id(1));
    EXPECT_TRUE(plan.pin_zone);
    EXPECT_FALSE(plan.merge_group);
    EXPECT_EQ(groups, 0) << "no merge group is made for one table";
    ASSERT_EQ(plan.result.size(), 1u);
    EXPECT_EQ(plan.result[0].table_id, table_id(1));
    EXPECT_EQ(plan.result[0].window, hours(19, 21));
    EXPECT_FALSE(plan.result[0].merge_group_id);
}

TEST(PlanAssignment, BookingPinnedToTheZoneAlreadyIsNotPinnedAgain) {
    PlanInput in;
    in.booking.assigned_zone_id = zone_id(1);
    in.requested = {table_id(1)};
    EXPECT_FALSE(in.plan().pin_zone);
}

TEST(PlanAssignment, TwoTablesMakeANewMergeGroupForBoth) {
    PlanInput in;
    in.requested = {table_id(1), table_id(2)};
    int groups = 0;
    const AssignmentPlan plan = in.plan(&groups);
    EXPECT_EQ(groups, 1);
    EXPECT_EQ(plan.merge_group, kNewGroup);
    EXPECT_TRUE(plan.new_merge_group);
    EXPECT_FALSE(plan.adopt_into_merge_group) << "nothing existed to adopt";
    ASSERT_EQ(plan.result.size(), 2u);
    EXPECT_EQ(plan.result[0].merge_group_id, kNewGroup);
    EXPECT_EQ(plan.result[1].merge_group_id, kNewGroup);
}

TEST(PlanAssignment, AddingToASingleTableAdoptsItIntoTheNewGroup) {
    PlanInput in;
    in.existing = {existing_table(1)};
    in.requested = {table_id(1), table_id(2)};
    const AssignmentPlan plan = in.plan();
    EXPECT_EQ(plan.added, std::vector<Uuid>{table_id(2)});
    EXPECT_TRUE(plan.adopt_into_merge_group);
    EXPECT_EQ(plan.merge_group, kNewGroup);
    ASSERT_EQ(plan.result.size(), 2u);
    EXPECT_EQ(plan.result[0].table_id, table_id(1));
    EXPECT_EQ(plan.result[0].merge_group_id, kNewGroup) << "the earlier table is reported in its new group";
}

TEST(PlanAssignment, TheBookingsGroupIsReused) {
    const Uuid group = uuid(0x66, 7);
    PlanInput in;
    in.existing = {existing_table(1, hours(19, 21), group), existing_table(2, hours(19, 21), group)};
    in.requested = {table_id(3)};
    int groups = 0;
    const AssignmentPlan plan = in.plan(&groups);
    EXPECT_EQ(groups, 0);
    EXPECT_EQ(plan.merge_group, group);
    EXPECT_FALSE(plan.new_merge_group);
    EXPECT_FALSE(plan.adopt_into_merge_group);
    ASSERT_EQ(plan.result.size(), 1u) << "the result is the requested tables only";
    EXPECT_EQ(plan.result[0].merge_group_id, group);
}

TEST(PlanAssignment, EveryRequestedTableHeldAlreadyWritesNothingAndSkipsTheTableRules) {
    PlanInput in;
    in.existing = {existing_table(1)};
    in.requested = {table_id(1)};
    in.tables[0].active = false;  // would be refused if the rules ran
    const AssignmentPlan plan = in.plan();
    EXPECT_FALSE(plan.writes);
    EXPECT_TRUE(plan.added.empty());
    ASSERT_EQ(plan.result.size(), 1u);
    EXPECT_EQ(plan.result[0].table_id, table_id(1));
}

TEST(PlanAssignment, TableRulesStillApply) {
    PlanInput in;
    in.requested = {table_id(1), table_id(2)};
    in.flags.merges_enabled = false;
    EXPECT_TRUE(fails_with(error_from([&] { in.plan(); }), SqlState::CheckViolation, "merges_disabled"));
}

TEST(PlanAssignment, AdjacencyAppliesByArgumentOverTheFinalSet) {
    PlanInput in;
    in.existing = {existing_table(1)};
    in.requested = {table_id(3)};
    in.require_adjacency_argument = true;
    EXPECT_TRUE(fails_with(error_from([&] { in.plan(); }), SqlState::CheckViolation, "not_connected"));
    in.edges = {edge(1, 3)};
    EXPECT_NO_THROW(in.plan());
}

TEST(PlanAssignment, ATableOfTheBookingForAnotherWindowIsRefused) {
    PlanInput in;
    in.existing = {existing_table(1, hours(17, 19))};
    in.requested = {table_id(2)};
    EXPECT_TRUE(fails_with(error_from([&] { in.plan(); }), SqlState::CheckViolation, "assigned_for_other_window"));
}

TEST(AssignedRows, AreTheBookingsRowsForTheTablesInTableOrder) {
    const std::vector<ExistingAssignment> existing = {existing_table(3), existing_table(1)};
    const std::vector<AssignedRow> rows = assigned_rows({table_id(1), table_id(2), table_id(3)}, existing);
    ASSERT_EQ(rows.size(), 2u) << "table 2 is not the booking's";
    EXPECT_EQ(rows[0].table_id, table_id(1));
    EXPECT_EQ(rows[1].table_id, table_id(3));
}

TEST(PlanUnassignment, EverythingByDefault) {
    const Uuid group = uuid(0x66, 1);
    const std::vector<ExistingAssignment> existing = {existing_table(2, hours(19, 21), group),
                                                      existing_table(1, hours(19, 21), group)};
    const UnassignmentPlan plan = plan_unassignment(std::nullopt, existing, true);
    EXPECT_EQ(plan.removed, (std::vector<Uuid>{table_id(1), table_id(2)}));
    EXPECT_TRUE(plan.dissolved.empty());
    EXPECT_TRUE(plan.kept_merge_groups.empty());
    EXPECT_TRUE(plan.delete_orphan_merge_groups);
    EXPECT_TRUE(plan.clear_zone_pin);
    EXPECT_TRUE(plan.writes());
}

TEST(PlanUnassignment, ATableLeftAloneInItsGroupLeavesTheGroup) {
    const Uuid group = uuid(0x66, 1);
    const std::vector<ExistingAssignment> existing = {existing_table(1, hours(19, 21), group),
                                                      existing_table(2, hours(19, 21), group)};
    const UnassignmentPlan plan = plan_unassignment(std::vector<Uuid>{table_id(2)}, existing, true);
    EXPECT_EQ(plan.removed, std::vector<Uuid>{table_id(2)});
    EXPECT_EQ(plan.dissolved, std::vector<Uuid>{table_id(1)});
    EXPECT_TRUE(plan.kept_merge_groups.empty());
    EXPECT_FALSE(plan.clear_zone_pin) << "table 1 is still the booking's";
}

TEST(PlanUnassignment, AGroupOfTwoOrMoreLeftIsKept) {
    const Uuid group = uuid(0x66, 1);
    const std::vector<ExistingAssignment> existing = {existing_table(1, hours(19, 21), group),
                                                      existing_table(2, hours(19, 21), group),
                                                      existing_table(3, hours(19, 21), group)};
    const UnassignmentPlan plan = plan_unassignment(std::vector<Uuid>{table_id(3)}, existing, true);
    EXPECT_TRUE(plan.dissolved.empty());
    EXPECT_EQ(plan.kept_merge_groups, std::vector<Uuid>{group});
}

TEST(PlanUnassignment, TablesTheBookingDoesNotHaveAreIgnored) {
    const std::vector<ExistingAssignment> existing = {existing_table(1)};
    const UnassignmentPlan plan = plan_unassignment(std::vector<Uuid>{table_id(5)}, existing, true);
    EXPECT_TRUE(plan.removed.empty());
    EXPECT_FALSE(plan.delete_orphan_merge_groups);
    EXPECT_FALSE(plan.writes());
}

TEST(PlanUnassignment, ALeftoverZonePinIsClearedEvenWithNothingToRemove) {
    const UnassignmentPlan plan = plan_unassignment(std::nullopt, {}, true);
    EXPECT_TRUE(plan.removed.empty());
    EXPECT_TRUE(plan.clear_zone_pin);
    EXPECT_TRUE(plan.writes());
    EXPECT_FALSE(plan_unassignment(std::nullopt, {}, false).writes());
}

}  // namespace
}  // namespace allocator::test
