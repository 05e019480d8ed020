#include "allocator/core/assignment_plan.hpp"

#include <algorithm>

#include <boost/container/flat_map.hpp>
#include <boost/container/flat_set.hpp>

namespace allocator {

namespace {

const ExistingAssignment* find_existing(const std::vector<ExistingAssignment>& existing, const Uuid& table) {
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const ExistingAssignment& e) { return e.table_id == table; });
    return it == existing.end() ? nullptr : &*it;
}

}  // namespace

std::vector<AssignedRow> assigned_rows(const std::vector<Uuid>& tables,
                                       const std::vector<ExistingAssignment>& existing) {
    std::vector<AssignedRow> rows;
    for (const Uuid& t : tables) {
        if (const ExistingAssignment* e = find_existing(existing, t)) rows.push_back({t, e->window, e->merge_group_id});
    }
    std::sort(rows.begin(), rows.end(),
              [](const AssignedRow& x, const AssignedRow& y) { return x.table_id < y.table_id; });
    return rows;
}

AssignmentPlan plan_assignment(const AssignmentInput& in, const std::function<Uuid()>& new_merge_group_id) {
    AssignmentPlan plan;
    if (already_assigned(in.requested, in.existing, in.window)) {
        plan.result = assigned_rows(in.requested, in.existing);
        return plan;
    }
    plan.writes = true;
    plan.zone = check_table_set(TableSetCheck{in.booking, in.requested, in.existing, in.tables, in.edges, in.flags,
                                              in.require_adjacency_argument});
    plan.added = tables_to_add(in.requested, in.existing, in.window);
    plan.pin_zone = in.booking.assigned_zone_id != plan.zone;

    boost::container::flat_set<Uuid> final_set(in.requested.begin(), in.requested.end());
    for (const ExistingAssignment& e : in.existing) final_set.insert(e.table_id);
    for (const ExistingAssignment& e : in.existing) {
        if (e.merge_group_id) {
            plan.merge_group = e.merge_group_id;
            break;
        }
    }
    if (!plan.merge_group && final_set.size() > 1) {
        plan.merge_group = new_merge_group_id();
        plan.new_merge_group = true;
        plan.adopt_into_merge_group = !in.existing.empty();
    }

    for (const Uuid& t : in.requested) {
        if (const ExistingAssignment* e = find_existing(in.existing, t)) {
            const bool adopted = plan.adopt_into_merge_group && !e->merge_group_id;
            plan.result.push_back({t, e->window, adopted ? plan.merge_group : e->merge_group_id});
        } else {
            plan.result.push_back({t, in.window, plan.merge_group});
        }
    }
    return plan;
}

UnassignmentPlan plan_unassignment(const std::optional<std::vector<Uuid>>& requested,
                                   const std::vector<ExistingAssignment>& existing, bool zone_pinned) {
    UnassignmentPlan plan;
    std::vector<const ExistingAssignment*> remaining;
    for (const ExistingAssignment& e : existing) {
        if (!requested || std::binary_search(requested->begin(), requested->end(), e.table_id))
            plan.removed.push_back(e.table_id);
        else
            remaining.push_back(&e);
    }
    std::sort(plan.removed.begin(), plan.removed.end());
    if (!plan.removed.empty()) {
        // A merge group left with one table is no merge any more; the booking's merge_group
        // mirror rows go unless their group still has two tables or more.
        boost::container::flat_map<Uuid, int> group_sizes;
        for (const ExistingAssignment* e : remaining) {
            if (e->merge_group_id) ++group_sizes[*e->merge_group_id];
        }
        for (const ExistingAssignment* e : remaining) {
            if (e->merge_group_id && group_sizes[*e->merge_group_id] == 1) plan.dissolved.push_back(e->table_id);
        }
        for (const auto& [group, size] : group_sizes) {
            if (size > 1) plan.kept_merge_groups.push_back(group);
        }
        plan.delete_orphan_merge_groups = true;
    }
    plan.clear_zone_pin = zone_pinned && remaining.empty();
    return plan;
}

}  // namespace allocator
