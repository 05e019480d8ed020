// Auto-assignment's search (issue 11): the table plans a booking could be seated at for one
// window, best first, under exactly the rules of a manual assignment (check_table_set): one
// zone, the booking's zone pin, one table or a merge of movable tables when merges_enabled
// is on, a connected merge when adjacency is required, seats covering the party while
// capacity_check is on. Tables taken in the window (taken_tables) are never offered.
//
// Ranking, lexicographic; each key only orders plans that tie on every key before it:
//   1. seats short of the party, fewest first (0 for every plan while capacity_check is on;
//      with the flag off a short plan is allowed, and comes after every plan that seats the party)
//   2. seats left over, fewest first
//   3. tables, fewest first: a single table before any merge, a merge of two before three
//      (so "single before merge" is the first step of this key and never outranks the leftover:
//      a 4-top for a party of 4 beats a 6-top, and two 2-tops beat the 6-top)
//   4. zone: a plan in the booking's pinned zone or, without a pin, in the preferred zone
//      first (a pin admits no other zone at all, so with a pin this key is always 0; without a
//      pin or a preference every plan has 0)
//   5. idle gap, fewest minutes first: for each table of the plan, the free time left between
//      the window and the table's nearest other booking (assignment or live hold) before it,
//      and after it, counted when it is shorter than the window itself (a stretch too short
//      for a booking as long as this one: likely to stay empty all evening); 0 without
//      neighbours or without `nearby`
//   6. crowding, fewest minutes first: for each table, how much of the day before and of the
//      day after the window is not free (24 h minus the free time on each side, each side
//      capped at 24 h), so among plans that strand no time the one on the quietest tables
//      wins, keeping the busy tables' remaining gaps for the bookings that fit them
//   7. table ids: the sorted id lists compared lexicographically, so the same rows always give
//      the same plans in the same order.
// Keys 5 and 6 were chosen on simulated evenings (bench/planner_quality.cpp): with ids as the
// only tie-break, auto-assign seated fewer bookings than a naive first fit on most seeds.
//
// The planner plans the whole table set of a booking that holds no table yet: the booking's
// own assignments are not inputs (a caller seating a booking that already has tables decides
// what that means before it plans).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/model.hpp"

namespace allocator {

// FEATURE_ALLOCATOR_K_MAX: a plan merges at most this many tables; the runbook's range is 1-5.
constexpr int kMaxTablesPerPlan = 5;
constexpr int kDefaultTablesPerPlan = 3;
constexpr int kMaxPlansPerQuote = 100;

// Which call will write the plan: a hold conflicts with more (the booking's own live holds).
enum class PlanPurpose { Assignment, Hold };

// The tables `occupants` block for `booking_id` during `window`, sorted and distinct: the
// tables check_assignment_conflicts (Assignment) or check_hold_conflicts (Hold) would refuse.
std::vector<Uuid> taken_tables(const Uuid& booking_id, const Window& window, const std::vector<Occupant>& occupants,
                               PlanPurpose purpose);

struct PlanRequest {
    const Booking& booking;                   // party size, restaurant, status, zone pin
    const std::vector<TableInfo>& tables;     // the restaurant's tables (others are ignored)
    const std::vector<AdjacencyEdge>& edges;  // the restaurant's adjacency, either direction
    const std::vector<Uuid>& taken;           // taken_tables for the window, any order
    const Flags& flags;
    bool require_adjacency_argument = false;  // as p_require_adjacency of an assignment
    std::optional<Uuid> preferred_zone;       // ranks its plans first (key 4); never a filter
    int max_tables = kDefaultTablesPerPlan;   // 1..kMaxTablesPerPlan, else 22023
    int plan_count = 1;                       // how many plans to return, 1..kMaxPlansPerQuote
    // Occupants around `window` (keys 5 and 6): those of other bookings, live, not
    // overlapping it, on any table; null ranks every plan 0 on both keys.
    const std::vector<Occupant>* nearby = nullptr;
    Window window{};  // the window being planned; read only with `nearby`
};

// Why a plan ranks where it does: its rank key (keys 1-4 above) and its place.
struct PlanRank {
    int position = 0;  // 1 = the plan an auto-assignment takes
    int seats_short = 0;
    int seats_left_over = 0;
    int table_count = 0;
    int zone_rank = 0;  // 0 = pinned or preferred zone (or no preference), 1 = another zone
    int idle_gap_minutes = 0;
    int crowding_minutes = 0;
    // The first key on which this plan loses to the one before it: "seats_short",
    // "seats_left_over", "table_count", "zone", "idle_gap", "crowding" or "table_ids"; empty
    // for the first plan.
    std::string behind_previous_by;

    // {"position": 1, "seats_short": 0, "seats_left_over": 2, "table_count": 2, "zone_rank": 0,
    //  "idle_gap_minutes": 0, "crowding_minutes": 90, "behind_previous_by": "table_count"}
    //  (the last field only after the first plan).
    std::string to_json() const;
};

struct TablePlan {
    std::vector<Uuid> tables;  // sorted
    Uuid zone;
    int seats = 0;
    int seats_left_over = 0;  // seats beyond the party, never negative
    bool is_merge = false;
    PlanRank rank;
};

// 22023 max_tables_out_of_range / plan_count_out_of_range unless 1 <= max_tables <=
// kMaxTablesPerPlan and 1 <= plan_count <= kMaxPlansPerQuote (plan_tables checks it first).
void check_plan_limits(int max_tables, int plan_count);

// The best `plan_count` feasible plans, best first; empty when there is none. Throws 23514
// booking_not_assignable for a cancelled, completed or no-show booking, 22023 for a
// max_tables or plan_count out of range. Every plan returned has passed check_table_set.
std::vector<TablePlan> plan_tables(const PlanRequest& request);

// Whether plan_tables(request) searches merges at all, and so reads request.edges: false with
// merges off or one table per plan, and when the single tables already fill the plans with
// keys no merge can reach (a table that seats the party exactly, the usual case). A caller
// reads the adjacency, which costs a probe per table, only when this says it will be used.
// Throws as plan_tables.
bool plan_searches_merges(const PlanRequest& request);

}  // namespace allocator
