#include "allocator/core/allocation_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core_test_support.hpp"

namespace allocator::test {
namespace {

// ---------------------------------------------------------------------------------------------
// check_booking_assignable

class BookingStatusAccepted : public ::testing::TestWithParam<const char*> {};

TEST_P(BookingStatusAccepted, CanBeSeated) {
    EXPECT_NO_THROW(check_booking_assignable(make_booking(1, 2, hours(19, 21), GetParam())));
}

INSTANTIATE_TEST_SUITE_P(CheckBookingAssignable, BookingStatusAccepted,
                         ::testing::Values("pending", "confirmed", "checked_in"));

class BookingStatusRefused : public ::testing::TestWithParam<const char*> {};

TEST_P(BookingStatusRefused, IsACheckViolationNamingTheStatus) {
    const Booking booking = make_booking(1, 2, hours(19, 21), GetParam());
    const auto error = error_from([&] { check_booking_assignable(booking); });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "booking_not_assignable"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("status", GetParam())));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("booking_id", booking.id.to_string())));
    EXPECT_TRUE(contains(error->what(), GetParam()));
}

INSTANTIATE_TEST_SUITE_P(CheckBookingAssignable, BookingStatusRefused,
                         ::testing::Values("cancelled", "completed", "no_show"));

// ---------------------------------------------------------------------------------------------
// check_idempotent_replay

const LedgerEntry kStored{{table_id(1), table_id(2)}, hours(19, 21), std::nullopt};

TEST(CheckIdempotentReplay, SameTablesAndWindowReplay) {
    EXPECT_NO_THROW(check_idempotent_replay(kStored, {table_id(1), table_id(2)}, hours(19, 21), "k1"));
}

TEST(CheckIdempotentReplay, DifferentTableSetIsMismatch) {
    const auto error = error_from([] {
        check_idempotent_replay(kStored, {table_id(1), table_id(3)}, hours(19, 21), "k1");
    });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "idempotency_mismatch"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("idempotency_key", "k1")));
}

TEST(CheckIdempotentReplay, SubsetOfTheStoredTablesIsMismatch) {
    EXPECT_TRUE(fails_with(error_from([] { check_idempotent_replay(kStored, {table_id(1)}, hours(19, 21), "k1"); }),
                           SqlState::InvalidParameter, "idempotency_mismatch"));
}

TEST(CheckIdempotentReplay, DifferentWindowIsMismatchNamingBothWindows) {
    const auto error = error_from([] {
        check_idempotent_replay(kStored, {table_id(1), table_id(2)}, hours(19, 22), "k1");
    });
    ASSERT_TRUE(fails_with(error, SqlState::InvalidParameter, "idempotency_mismatch"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("stored_window", hours(19, 21).to_string())));
    EXPECT_TRUE(contains(json, json_field("requested_window", hours(19, 22).to_string())));
}

TEST(CheckIdempotentReplay, ShiftedStartIsMismatch) {
    EXPECT_TRUE(fails_with(
        error_from([] {
            check_idempotent_replay(kStored, {table_id(1), table_id(2)}, Window{19 * kHour + 1, 21 * kHour}, "k1");
        }),
        SqlState::InvalidParameter, "idempotency_mismatch"));
}

TEST(CheckIdempotentReplay, KeyIsEscapedInTheDetail) {
    const auto error = error_from([] { check_idempotent_replay(kStored, {table_id(3)}, hours(19, 21), "a\"b\\c"); });
    ASSERT_TRUE(error.has_value());
    EXPECT_TRUE(contains(error->detail().to_json(), R"("idempotency_key": "a\"b\\c")"));
}

// ---------------------------------------------------------------------------------------------
// check_table_set

// Owns everything TableSetCheck refers to. Defaults: a party of 2 asking for table 1, a
// movable 4-top in zone 1 of the booking's restaurant.
struct TableSetScenario {
    Booking booking = make_booking(1, 2);
    std::vector<Uuid> requested{table_id(1)};
    std::vector<ExistingAssignment> existing;
    std::vector<TableInfo> tables{make_table(1)};
    std::vector<AdjacencyEdge> edges;
    Flags flags;
    bool require_adjacency_argument = false;

    Uuid check() const {
        return check_table_set(
            TableSetCheck{booking, requested, existing, tables, edges, flags, require_adjacency_argument});
    }
    std::optional<AllocatorError> error() const {
        return error_from([this] { check(); });
    }
    // Requests tables 1..n (all defined as movable 4-tops in zone 1).
    void request_tables(std::uint8_t n) {
        requested.clear();
        tables.clear();
        for (std::uint8_t i = 1; i <= n; ++i) {
            requested.push_back(table_id(i));
            tables.push_back(make_table(i));
        }
    }
    // Table n's row, added (a movable 4-top in zone 1) if the scenario lacks it.
    TableInfo& table(std::uint8_t n) {
        for (TableInfo& t : tables)
            if (t.id == table_id(n)) return t;
        tables.push_back(make_table(n));
        return tables.back();
    }
    // The booking already holds table n for `window`.
    void already_has(std::uint8_t n, Window window = hours(19, 21)) {
        table(n);
        existing.push_back(ExistingAssignment{table_id(n), window, std::nullopt});
    }
};

TEST(CheckTableSet, AvailableTableOfTheRestaurantReturnsItsZone) {
    TableSetScenario s;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, ZoneReturnedIsTheTablesZone) {
    TableSetScenario s;
    s.table(1).zone_id = zone_id(7);
    EXPECT_EQ(s.check(), zone_id(7));
}

TEST(CheckTableSet, MissingTableIsNotFound) {
    TableSetScenario s;
    s.requested = {table_id(1), table_id(2)};
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::NotFound, "table_not_found"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("table_id", table_id(2).to_string())));
}

TEST(CheckTableSet, TableOfAnotherRestaurantIsRefused) {
    TableSetScenario s;
    s.table(1).restaurant_id = restaurant_id(2);
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "wrong_restaurant"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("table_restaurant_id", restaurant_id(2).to_string())));
}

TEST(CheckTableSet, InactiveTableIsRefused) {
    TableSetScenario s;
    s.table(1).active = false;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "table_unavailable"));
    EXPECT_TRUE(contains(error->what(), "inactive"));
}

TEST(CheckTableSet, OutOfServiceTableIsRefused) {
    TableSetScenario s;
    s.table(1).status = "out_of_service";
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "table_unavailable"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("status", "out_of_service")));
}

TEST(CheckTableSet, ReservedOrOccupiedStatusDoesNotMakeATableUnavailable) {
    // Only out_of_service and inactive refuse a table; occupancy is decided by the conflict checks.
    for (const char* status : {"reserved", "occupied"}) {
        TableSetScenario s;
        s.table(1).status = status;
        EXPECT_EQ(s.check(), zone_id(1)) << status;
    }
}

TEST(CheckTableSet, TablesInTwoZonesAreRefused) {
    TableSetScenario s;
    s.request_tables(2);
    s.table(2).zone_id = zone_id(2);
    EXPECT_TRUE(fails_with(s.error(), SqlState::CheckViolation, "mixed_zones"));
}

TEST(CheckTableSet, BookingPinnedToAnotherZoneIsRefused) {
    TableSetScenario s;
    s.booking.assigned_zone_id = zone_id(2);
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "zone_pinned"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("assigned_zone_id", zone_id(2).to_string())));
}

TEST(CheckTableSet, BookingPinnedToTheTablesZoneIsAccepted) {
    TableSetScenario s;
    s.booking.assigned_zone_id = zone_id(1);
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, ExistingTableInAnotherZoneIsRefusedEvenWithoutAPin) {
    TableSetScenario s;
    s.already_has(5);
    s.table(5).zone_id = zone_id(2);
    ASSERT_FALSE(s.booking.assigned_zone_id.has_value());
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "zone_pinned"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("assigned_zone_id", zone_id(2).to_string())));
}

TEST(CheckTableSet, MergeIsRefusedWhenMergesAreDisabled) {
    TableSetScenario s;
    s.request_tables(2);
    s.flags.merges_enabled = false;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "merges_disabled"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"table_count\": 2"));
}

TEST(CheckTableSet, SingleTableIsFineWhenMergesAreDisabled) {
    TableSetScenario s;
    s.flags.merges_enabled = false;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, AddingATableToAnExistingOneIsAMerge) {
    TableSetScenario s;
    s.already_has(2);
    s.flags.merges_enabled = false;
    EXPECT_TRUE(fails_with(s.error(), SqlState::CheckViolation, "merges_disabled"));
}

TEST(CheckTableSet, RequestingTheTableAlreadyHeldIsNotAMerge) {
    TableSetScenario s;
    s.already_has(1);
    s.flags.merges_enabled = false;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, FixedTableInAMergeIsRefused) {
    TableSetScenario s;
    s.request_tables(2);
    s.table(2).movable = false;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "fixed_table_in_merge"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("table_id", table_id(2).to_string())));
}

TEST(CheckTableSet, FixedExistingTableCannotBeMergedWithANewOne) {
    TableSetScenario s;
    s.already_has(2);
    s.table(2).movable = false;
    EXPECT_TRUE(fails_with(s.error(), SqlState::CheckViolation, "fixed_table_in_merge"));
}

TEST(CheckTableSet, FixedTableAloneIsAccepted) {
    TableSetScenario s;
    s.table(1).movable = false;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, DisconnectedMergeIsAcceptedWhenAdjacencyIsNotRequired) {
    TableSetScenario s;
    s.request_tables(2);
    ASSERT_TRUE(s.edges.empty());
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, DisconnectedMergeIsRefusedWhenTheArgumentRequiresAdjacency) {
    TableSetScenario s;
    s.request_tables(4);
    s.edges = {edge(1, 2), edge(3, 4)};  // every table has a neighbour, but two groups
    s.require_adjacency_argument = true;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "not_connected"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("required_by", "argument")));
}

TEST(CheckTableSet, DisconnectedMergeIsRefusedWhenTheFlagRequiresAdjacency) {
    TableSetScenario s;
    s.request_tables(4);
    s.edges = {edge(1, 2), edge(3, 4)};
    s.flags.require_adjacency = true;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "not_connected"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("required_by", "flag")));
}

TEST(CheckTableSet, ConnectedMergePassesWhenAdjacencyIsRequired) {
    for (bool by_argument : {true, false}) {
        TableSetScenario s;
        s.request_tables(4);
        s.edges = {edge(2, 1), edge(3, 4), edge(2, 3)};
        s.require_adjacency_argument = by_argument;
        s.flags.require_adjacency = !by_argument;
        EXPECT_EQ(s.check(), zone_id(1)) << (by_argument ? "argument" : "flag");
    }
}

TEST(CheckTableSet, AdjacencyIsCheckedOverExistingAndRequestedTables) {
    // The booking has table 1; adding table 3 is connected only through table 2, which is
    // not part of the merge.
    TableSetScenario s;
    s.already_has(1);
    s.requested = {table_id(3)};
    s.table(2);
    s.table(3);
    s.edges = {edge(1, 2), edge(2, 3)};
    s.require_adjacency_argument = true;
    EXPECT_TRUE(fails_with(s.error(), SqlState::CheckViolation, "not_connected"));

    s.edges.push_back(edge(3, 1));
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, CapacityShortOfThePartyIsRefused) {
    TableSetScenario s;
    s.request_tables(2);  // 4 + 4 seats
    s.booking.party_size = 9;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "capacity_short"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, "\"capacity\": 8"));
    EXPECT_TRUE(contains(json, "\"party_size\": 9"));
}

TEST(CheckTableSet, CapacityExactlyThePartyIsEnough) {
    TableSetScenario s;
    s.request_tables(2);
    s.booking.party_size = 8;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, CapacityShortPassesWhenCapacityCheckIsOff) {
    TableSetScenario s;
    s.booking.party_size = 9;
    s.flags.capacity_check = false;
    EXPECT_EQ(s.check(), zone_id(1));
}

TEST(CheckTableSet, CapacityCountsExistingAndRequestedTables) {
    TableSetScenario s;
    s.already_has(2);
    s.table(2).capacity = 6;
    s.booking.party_size = 10;  // 4 requested + 6 existing
    EXPECT_EQ(s.check(), zone_id(1));

    s.booking.party_size = 11;
    const auto error = s.error();
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "capacity_short"));
    EXPECT_TRUE(contains(error->detail().to_json(), "\"capacity\": 10"));
}

TEST(CheckTableSet, RequestedTableAlreadyHeldCountsItsSeatsOnce) {
    TableSetScenario s;
    s.already_has(1);
    s.booking.party_size = 5;  // table 1 seats 4, whether listed once or twice
    EXPECT_TRUE(fails_with(s.error(), SqlState::CheckViolation, "capacity_short"));
}

// ---------------------------------------------------------------------------------------------
// already_assigned / tables_to_add

std::vector<ExistingAssignment> existing_tables(std::initializer_list<std::uint8_t> numbers,
                                                Window window = hours(19, 21)) {
    std::vector<ExistingAssignment> rows;
    for (std::uint8_t n : numbers) rows.push_back(ExistingAssignment{table_id(n), window, std::nullopt});
    return rows;
}

TEST(AlreadyAssigned, EveryRequestedTableHeldForThisWindow) {
    EXPECT_TRUE(already_assigned({table_id(1), table_id(2)}, existing_tables({1, 2, 3}), hours(19, 21)));
}

TEST(AlreadyAssigned, OneRequestedTableNotHeld) {
    EXPECT_FALSE(already_assigned({table_id(1), table_id(4)}, existing_tables({1, 2, 3}), hours(19, 21)));
}

TEST(AlreadyAssigned, HeldForAnotherWindow) {
    EXPECT_FALSE(already_assigned({table_id(1)}, existing_tables({1}), hours(19, 22)));
}

TEST(AlreadyAssigned, NothingHeld) {
    EXPECT_FALSE(already_assigned({table_id(1)}, {}, hours(19, 21)));
}

TEST(TablesToAdd, ReturnsOnlyTablesNotHeldYet) {
    const std::vector<Uuid> added =
        tables_to_add({table_id(1), table_id(2), table_id(3)}, existing_tables({2}), hours(19, 21));
    EXPECT_EQ(added, (std::vector<Uuid>{table_id(1), table_id(3)}));
}

TEST(TablesToAdd, NothingToAddWhenAllAreHeld) {
    EXPECT_TRUE(tables_to_add({table_id(1)}, existing_tables({1, 2}), hours(19, 21)).empty());
}

TEST(TablesToAdd, TableHeldForAnotherWindowIsRefused) {
    const auto error = error_from([] {
        tables_to_add({table_id(1), table_id(2)}, existing_tables({2}, hours(18, 20)), hours(19, 21));
    });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "assigned_for_other_window"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("table_id", table_id(2).to_string())));
    EXPECT_TRUE(contains(json, json_field("assigned_window", hours(18, 20).to_string())));
    EXPECT_TRUE(contains(json, json_field("requested_window", hours(19, 21).to_string())));
}

TEST(TablesToAdd, NewTableForAnotherWindowThanTheBookingsTablesIsRefused) {
    // All tables of a booking share one window: that of its merge group.
    const auto error = error_from([] { tables_to_add({table_id(2)}, existing_tables({1, 3}), hours(19, 22)); });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "assigned_for_other_window"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("table_id", table_id(1).to_string())));
    EXPECT_TRUE(contains(json, json_field("assigned_window", hours(19, 21).to_string())));
    EXPECT_TRUE(contains(json, json_field("requested_window", hours(19, 22).to_string())));
}

TEST(TablesToAdd, NewTableForADisjointWindowIsRefused) {
    EXPECT_TRUE(fails_with(error_from([] { tables_to_add({table_id(2)}, existing_tables({1}), hours(21, 23)); }),
                           SqlState::CheckViolation, "assigned_for_other_window"));
}

TEST(TablesToAdd, NewTableIsRefusedWhenAnyExistingTableHasAnotherWindow) {
    // Legacy rows with two windows: nothing can be added until they are made one.
    std::vector<ExistingAssignment> existing = existing_tables({1});
    existing.push_back(ExistingAssignment{table_id(3), hours(18, 20), std::nullopt});
    const auto error = error_from([&] { tables_to_add({table_id(1), table_id(2)}, existing, hours(19, 21)); });
    ASSERT_TRUE(fails_with(error, SqlState::CheckViolation, "assigned_for_other_window"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("table_id", table_id(3).to_string())));
}

TEST(TablesToAdd, NewTableForTheBookingsWindowIsAdded) {
    EXPECT_EQ(tables_to_add({table_id(2)}, existing_tables({1, 3}), hours(19, 21)), (std::vector<Uuid>{table_id(2)}));
}

// ---------------------------------------------------------------------------------------------
// check_assignment_conflicts

const Window kDinner = hours(19, 21);

TEST(CheckAssignmentConflicts, NoOccupantsNoConflict) {
    EXPECT_NO_THROW(check_assignment_conflicts(make_booking(1), kDinner, {}));
}

TEST(CheckAssignmentConflicts, OtherBookingsAssignmentIsAnExclusionViolation) {
    const auto error =
        error_from([] { check_assignment_conflicts(make_booking(1), kDinner, {assignment_of(2, 5, hours(20, 22))}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "assignment_overlap"));
    EXPECT_STREQ(sqlstate_code(error->state()), "23P01");
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("table_id", table_id(5).to_string())));
    EXPECT_TRUE(contains(json, json_field("conflicting_booking_id", booking_id(2).to_string())));
    EXPECT_TRUE(contains(json, json_field("conflicting_window", hours(20, 22).to_string())));
    EXPECT_FALSE(contains(json, "hold_id"));
    EXPECT_TRUE(contains(error->what(), booking_id(2).to_string()));
}

TEST(CheckAssignmentConflicts, OwnAssignmentsAndHoldsAreIgnored) {
    const std::vector<Occupant> occupants{assignment_of(1, 5, kDinner), hold_of(1, 1, 6, kDinner)};
    EXPECT_NO_THROW(check_assignment_conflicts(make_booking(1), kDinner, occupants));
}

TEST(CheckAssignmentConflicts, ExpiredHoldOfAnotherBookingIsIgnored) {
    const std::vector<Occupant> occupants{hold_of(2, 1, 5, kDinner, /*live=*/false),
                                          hold_of(std::nullopt, 2, 5, kDinner, /*live=*/false)};
    EXPECT_NO_THROW(check_assignment_conflicts(make_booking(1), kDinner, occupants));
}

TEST(CheckAssignmentConflicts, LiveHoldOfAnotherBookingIsAnExclusionViolation) {
    const auto error =
        error_from([] { check_assignment_conflicts(make_booking(1), kDinner, {hold_of(2, 7, 5, hours(18, 20))}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "hold_overlap"));
    const std::string json = error->detail().to_json();
    EXPECT_TRUE(contains(json, json_field("hold_id", hold_id(7).to_string())));
    EXPECT_TRUE(contains(json, json_field("conflicting_booking_id", booking_id(2).to_string())));
    EXPECT_TRUE(contains(json, json_field("table_id", table_id(5).to_string())));
    // The original's hold-conflict message crashed on a bad format string; this one names the hold.
    EXPECT_TRUE(contains(error->what(), hold_id(7).to_string()));
}

TEST(CheckAssignmentConflicts, LiveHoldWithoutABookingBlocks) {
    const auto error = error_from(
        [] { check_assignment_conflicts(make_booking(1), kDinner, {hold_of(std::nullopt, 7, 5, kDinner)}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "hold_overlap"));
    EXPECT_FALSE(contains(error->detail().to_json(), "conflicting_booking_id"));
}

TEST(CheckAssignmentConflicts, TouchingWindowsNeverConflict) {
    const std::vector<Occupant> occupants{assignment_of(2, 5, hours(21, 23)), hold_of(3, 1, 5, hours(17, 19)),
                                          assignment_of(4, 5, hours(17, 19)), hold_of(5, 2, 5, hours(21, 23))};
    EXPECT_NO_THROW(check_assignment_conflicts(make_booking(1), kDinner, occupants));
}

TEST(CheckAssignmentConflicts, AssignmentIsReportedBeforeAHoldOnTheSameTable) {
    const std::vector<Occupant> occupants{hold_of(3, 1, 5, kDinner), assignment_of(2, 5, kDinner)};
    EXPECT_TRUE(fails_with(error_from([&] { check_assignment_conflicts(make_booking(1), kDinner, occupants); }),
                           SqlState::ExclusionViolation, "assignment_overlap"));
}

TEST(CheckAssignmentConflicts, ReportedConflictDoesNotDependOnScanOrder) {
    std::vector<Occupant> occupants{assignment_of(3, 9, kDinner), assignment_of(2, 4, kDinner)};
    for (int pass = 0; pass < 2; ++pass) {
        const auto error = error_from([&] { check_assignment_conflicts(make_booking(1), kDinner, occupants); });
        ASSERT_TRUE(error.has_value());
        EXPECT_TRUE(contains(error->detail().to_json(), json_field("table_id", table_id(4).to_string())));
        std::swap(occupants[0], occupants[1]);
    }
}

// ---------------------------------------------------------------------------------------------
// check_hold_conflicts

const std::optional<Uuid> kHolder = booking_id(1);

TEST(CheckHoldConflicts, NoOccupantsNoConflictAndNothingToDelete) {
    EXPECT_TRUE(check_hold_conflicts(kHolder, kDinner, {}).empty());
}

TEST(CheckHoldConflicts, OtherBookingsAssignmentIsAnExclusionViolation) {
    const auto error = error_from([] { check_hold_conflicts(kHolder, kDinner, {assignment_of(2, 5, kDinner)}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "assignment_overlap"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("conflicting_booking_id", booking_id(2).to_string())));
}

TEST(CheckHoldConflicts, AssignmentBlocksAHoldWithoutABooking) {
    EXPECT_TRUE(
        fails_with(error_from([] { check_hold_conflicts(std::nullopt, kDinner, {assignment_of(2, 5, kDinner)}); }),
                   SqlState::ExclusionViolation, "assignment_overlap"));
}

TEST(CheckHoldConflicts, OwnAssignmentIsIgnored) {
    EXPECT_TRUE(check_hold_conflicts(kHolder, kDinner, {assignment_of(1, 5, kDinner)}).empty());
}

TEST(CheckHoldConflicts, OwnLiveHoldIsAlreadyHeld) {
    const auto error = error_from([] { check_hold_conflicts(kHolder, kDinner, {hold_of(1, 7, 5, kDinner)}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "already_held"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("hold_id", hold_id(7).to_string())));
}

TEST(CheckHoldConflicts, OtherBookingsLiveHoldIsHoldOverlap) {
    const auto error = error_from([] { check_hold_conflicts(kHolder, kDinner, {hold_of(2, 7, 5, kDinner)}); });
    ASSERT_TRUE(fails_with(error, SqlState::ExclusionViolation, "hold_overlap"));
    EXPECT_TRUE(contains(error->detail().to_json(), json_field("hold_id", hold_id(7).to_string())));
}

TEST(CheckHoldConflicts, AnonymousHoldsAreNeverOurs) {
    EXPECT_TRUE(fails_with(
        error_from([] { check_hold_conflicts(std::nullopt, kDinner, {hold_of(std::nullopt, 7, 5, kDinner)}); }),
        SqlState::ExclusionViolation, "hold_overlap"));
    EXPECT_TRUE(
        fails_with(error_from([] { check_hold_conflicts(kHolder, kDinner, {hold_of(std::nullopt, 7, 5, kDinner)}); }),
                   SqlState::ExclusionViolation, "hold_overlap"));
}

TEST(CheckHoldConflicts, ExpiredHoldsInTheWayAreReturnedOnceEach) {
    // Hold 7 covers tables 5 and 6; hold 8 is the booking's own expired hold; hold 9 does not
    // overlap and is none of this call's business.
    const std::vector<Occupant> occupants{hold_of(2, 7, 6, kDinner, false), hold_of(1, 8, 5, hours(20, 22), false),
                                          hold_of(2, 7, 5, kDinner, false), hold_of(3, 9, 5, hours(21, 23), false)};
    std::vector<Uuid> expired = check_hold_conflicts(kHolder, kDinner, occupants);
    std::sort(expired.begin(), expired.end());
    EXPECT_EQ(expired, (std::vector<Uuid>{hold_id(7), hold_id(8)}));
}

TEST(CheckHoldConflicts, LiveHoldStillBlocksWhenExpiredOnesAreAlsoPresent) {
    const std::vector<Occupant> occupants{hold_of(2, 7, 5, kDinner, false), hold_of(3, 8, 6, kDinner, true)};
    EXPECT_TRUE(fails_with(error_from([&] { check_hold_conflicts(kHolder, kDinner, occupants); }),
                           SqlState::ExclusionViolation, "hold_overlap"));
}

TEST(CheckHoldConflicts, TouchingWindowsNeverConflict) {
    const std::vector<Occupant> occupants{assignment_of(2, 5, hours(21, 23)), hold_of(3, 1, 5, hours(17, 19)),
                                          hold_of(1, 2, 5, hours(21, 23))};
    EXPECT_TRUE(check_hold_conflicts(kHolder, kDinner, occupants).empty());
}

}  // namespace
}  // namespace allocator::test
