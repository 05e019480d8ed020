#include "allocator/core/allocation_rules.hpp"

#include <algorithm>

#include <boost/container/flat_map.hpp>
#include <boost/container/flat_set.hpp>

#include "allocator/core/adjacency.hpp"
#include "allocator/core/errors.hpp"

namespace allocator {

namespace {

AllocatorError rule_error(const std::string& message, ErrorDetail detail, const std::string& hint) {
    return AllocatorError(SqlState::CheckViolation, message, std::move(detail), hint);
}

// Occupants sorted so the reported conflict does not depend on scan order.
std::vector<const Occupant*> in_report_order(const std::vector<Occupant>& occupants) {
    std::vector<const Occupant*> sorted;
    sorted.reserve(occupants.size());
    for (const Occupant& o : occupants) sorted.push_back(&o);
    std::sort(sorted.begin(), sorted.end(), [](const Occupant* x, const Occupant* y) {
        if (x->table_id != y->table_id) return x->table_id < y->table_id;
        if (x->kind != y->kind) return x->kind == Occupant::Kind::Assignment;
        return x->window.start < y->window.start;
    });
    return sorted;
}

[[noreturn]] void throw_conflict(const Occupant& o, const Window& requested, const char* reason,
                                 const std::string& hint) {
    ErrorDetail detail(reason);
    detail.add("table_id", o.table_id);
    if (o.booking_id) detail.add("conflicting_booking_id", *o.booking_id);
    if (o.hold_id) detail.add("hold_id", *o.hold_id);
    detail.add("window", requested.to_string()).add("conflicting_window", o.window.to_string());
    std::string message = "table " + o.table_id.to_string() + " is ";
    if (o.kind == Occupant::Kind::Assignment) {
        message += "already assigned to booking " + o.booking_id->to_string();
    } else {
        message += "held by hold " + o.hold_id->to_string();
        if (o.booking_id) message += " of booking " + o.booking_id->to_string();
    }
    message += " during " + o.window.to_string();
    throw AllocatorError(SqlState::ExclusionViolation, message, std::move(detail), hint);
}

bool owned_by(const Occupant& o, const std::optional<Uuid>& booking_id) {
    return booking_id && o.booking_id && *o.booking_id == *booking_id;
}

}  // namespace

bool blocks_assignment(const Occupant& o, const Uuid& booking_id, const Window& window) {
    return o.window.overlaps(window) && o.live && !owned_by(o, booking_id);  // our own rows never block us
}

bool blocks_hold(const Occupant& o, const std::optional<Uuid>& booking_id, const Window& window) {
    if (!o.window.overlaps(window)) return false;
    if (o.kind == Occupant::Kind::Assignment) return !owned_by(o, booking_id);
    return o.live;  // expired holds in the way are deleted by the caller, under the same locks
}

void check_booking_assignable(const Booking& booking) {
    const std::string& s = booking.status;
    if (s == "cancelled" || s == "completed" || s == "no_show") {
        throw rule_error("booking " + booking.id.to_string() + " is " + s + " and cannot be seated",
                         ErrorDetail("booking_not_assignable").add("booking_id", booking.id).add("status", s),
                         "Only pending, confirmed or checked-in bookings can hold tables.");
    }
}

void check_idempotent_replay(const LedgerEntry& stored, const std::vector<Uuid>& tables, const Window& window,
                             const std::string& key) {
    if (stored.table_ids == tables && stored.window == window) return;
    const bool tables_differ = stored.table_ids != tables;
    const bool window_differs = stored.window != window;
    ErrorDetail detail("idempotency_mismatch");
    detail.add("idempotency_key", key)
        .add("differs_in", tables_differ && window_differs ? "tables and window"
                           : tables_differ                 ? "tables"
                                                           : "window")
        .add("stored_window", stored.window.to_string())
        .add("requested_window", window.to_string())
        .add("stored_table_count", static_cast<long long>(stored.table_ids.size()))
        .add("requested_table_count", static_cast<long long>(tables.size()));
    throw AllocatorError(SqlState::InvalidParameter,
                         "idempotency key \"" + key + "\" was already used with other tables or another window",
                         std::move(detail),
                         "Use a new idempotency key for a different request, or resend the original one.");
}

bool already_assigned(const std::vector<Uuid>& requested, const std::vector<ExistingAssignment>& existing,
                      const Window& window) {
    for (const Uuid& t : requested) {
        auto it = std::find_if(existing.begin(), existing.end(),
                               [&](const ExistingAssignment& e) { return e.table_id == t; });
        if (it == existing.end() || it->window != window) return false;
    }
    return true;
}

std::vector<Uuid> tables_to_add(const std::vector<Uuid>& requested, const std::vector<ExistingAssignment>& existing,
                                const Window& window) {
    std::vector<Uuid> added;
    for (const Uuid& t : requested) {
        auto it = std::find_if(existing.begin(), existing.end(),
                               [&](const ExistingAssignment& e) { return e.table_id == t; });
        if (it == existing.end()) {
            added.push_back(t);
        } else if (it->window != window) {
            throw rule_error(
                "booking already has table " + t.to_string() + " for another window " + it->window.to_string(),
                ErrorDetail("assigned_for_other_window")
                    .add("table_id", t)
                    .add("assigned_window", it->window.to_string())
                    .add("requested_window", window.to_string()),
                "Unassign the table first (unassign_tables_atomic) to move it to a new window.");
        }
    }
    // All tables of a booking share one window: a merge is one seating, and its merge_group
    // mirror row carries that window.
    if (added.empty()) return added;
    for (const ExistingAssignment& e : existing) {
        if (e.window == window) continue;
        throw rule_error("booking already has table " + e.table_id.to_string() + " for another window " +
                             e.window.to_string() + "; all tables of a booking share one window",
                         ErrorDetail("assigned_for_other_window")
                             .add("table_id", e.table_id)
                             .add("assigned_window", e.window.to_string())
                             .add("requested_window", window.to_string()),
                         "Assign the new table for the booking's window " + e.window.to_string() +
                             ", or unassign the booking's tables first (unassign_tables_atomic) to move it.");
    }
    return added;
}

Uuid check_table_set(const TableSetCheck& in) {
    boost::container::flat_map<Uuid, const TableInfo*> by_id;
    by_id.reserve(in.tables.size());
    for (const TableInfo& t : in.tables) by_id.emplace(t.id, &t);

    const std::string booking_text = in.booking.id.to_string();
    for (const Uuid& id : in.requested) {
        auto it = by_id.find(id);
        if (it == by_id.end()) {
            throw AllocatorError(SqlState::NotFound, "table " + id.to_string() + " does not exist",
                                 ErrorDetail("table_not_found").add("table_id", id),
                                 "Check the table id against table_inventory.");
        }
        const TableInfo& t = *it->second;
        if (t.restaurant_id != in.booking.restaurant_id) {
            throw rule_error("table " + t.table_number + " (" + id.to_string() +
                                 ") belongs to another restaurant than booking " + booking_text,
                             ErrorDetail("wrong_restaurant")
                                 .add("table_id", id)
                                 .add("table_restaurant_id", t.restaurant_id)
                                 .add("booking_restaurant_id", in.booking.restaurant_id),
                             "Choose tables of the booking's restaurant.");
        }
        if (!t.active || t.status == "out_of_service") {
            throw rule_error("table " + t.table_number + " (" + id.to_string() + ") is " +
                                 (t.active ? "out of service" : "inactive"),
                             ErrorDetail("table_unavailable")
                                 .add("table_id", id)
                                 .add("status", t.status)
                                 .add("active", t.active ? "true" : "false"),
                             "Put the table back in service or choose another one.");
        }
    }

    const Uuid zone = by_id.at(in.requested.front())->zone_id;
    for (const Uuid& id : in.requested) {
        const TableInfo& t = *by_id.at(id);
        if (t.zone_id != zone) {
            throw rule_error(
                "tables " + by_id.at(in.requested.front())->table_number + " and " + t.table_number +
                    " are in different zones",
                ErrorDetail("mixed_zones").add("table_id", id).add("zone_id", t.zone_id).add("other_zone_id", zone),
                "A booking is seated in one zone; choose tables of a single zone.");
        }
    }
    if (in.booking.assigned_zone_id && *in.booking.assigned_zone_id != zone) {
        throw rule_error("booking " + booking_text + " is pinned to zone " + in.booking.assigned_zone_id->to_string() +
                             ", not " + zone.to_string(),
                         ErrorDetail("zone_pinned")
                             .add("booking_id", in.booking.id)
                             .add("assigned_zone_id", *in.booking.assigned_zone_id)
                             .add("zone_id", zone),
                         "Unassign the booking's current tables first to move it to another zone.");
    }

    // The final set: what the booking holds after this call.
    boost::container::flat_set<Uuid> final_set(in.requested.begin(), in.requested.end());
    for (const ExistingAssignment& e : in.existing) final_set.insert(e.table_id);
    for (const Uuid& id : final_set) {
        auto it = by_id.find(id);
        if (it != by_id.end() && it->second->zone_id != zone) {
            throw rule_error("booking " + booking_text + " already has table " + it->second->table_number +
                                 " in zone " + it->second->zone_id.to_string(),
                             ErrorDetail("zone_pinned")
                                 .add("booking_id", in.booking.id)
                                 .add("assigned_zone_id", it->second->zone_id)
                                 .add("zone_id", zone),
                             "A booking never spans two zones; unassign its current tables first.");
        }
    }

    if (final_set.size() > 1) {
        if (!in.flags.merges_enabled) {
            throw rule_error(
                "merging tables is disabled (flag merges_enabled is off)",
                ErrorDetail("merges_disabled").add("table_count", static_cast<long long>(final_set.size())),
                "Seat the party at one table, or turn merges back on with "
                "set_allocator_flag('merges_enabled', true, '<reason>').");
        }
        for (const Uuid& id : final_set) {
            auto it = by_id.find(id);
            if (it != by_id.end() && !it->second->movable) {
                throw rule_error(
                    "table " + it->second->table_number + " (" + id.to_string() + ") is fixed and cannot be merged",
                    ErrorDetail("fixed_table_in_merge").add("table_id", id), "Only movable tables can be merged.");
            }
        }
        if (in.require_adjacency_argument || in.flags.require_adjacency) {
            std::vector<Uuid> members(final_set.begin(), final_set.end());
            if (!tables_connected(members, in.edges)) {
                throw rule_error("tables to merge are not connected by adjacency",
                                 ErrorDetail("not_connected")
                                     .add("table_count", static_cast<long long>(members.size()))
                                     .add("required_by", in.require_adjacency_argument ? "argument" : "flag"),
                                 "Choose tables that form one connected group in table_adjacencies.");
            }
        }
    }

    if (in.flags.capacity_check) {
        long long seats = 0;
        for (const Uuid& id : final_set) {
            auto it = by_id.find(id);
            if (it != by_id.end()) seats += it->second->capacity;
        }
        if (seats < in.booking.party_size) {
            throw rule_error(
                "tables seat " + std::to_string(seats) + " but the party is " + std::to_string(in.booking.party_size),
                ErrorDetail("capacity_short")
                    .add("booking_id", in.booking.id)
                    .add("capacity", seats)
                    .add("party_size", static_cast<long long>(in.booking.party_size)),
                "Add tables, or turn the capacity_check flag off for this incident.");
        }
    }
    return zone;
}

void check_assignment_conflicts(const Booking& booking, const Window& window, const std::vector<Occupant>& occupants) {
    for (const Occupant* o : in_report_order(occupants)) {
        if (!blocks_assignment(*o, booking.id, window)) continue;
        if (o->kind == Occupant::Kind::Assignment) {
            throw_conflict(*o, window, "assignment_overlap",
                           "Choose another table or window, or unassign the other booking first.");
        }
        throw_conflict(*o, window, "hold_overlap",
                       "Wait for the hold to expire, or release it with release_table_hold.");
    }
}

std::vector<Uuid> check_hold_conflicts(const std::optional<Uuid>& booking_id, const Window& window,
                                       const std::vector<Occupant>& occupants) {
    std::vector<Uuid> expired;
    for (const Occupant* o : in_report_order(occupants)) {
        if (!blocks_hold(*o, booking_id, window)) {
            const bool expired_hold = o->kind == Occupant::Kind::Hold && o->window.overlaps(window);
            if (expired_hold && std::find(expired.begin(), expired.end(), *o->hold_id) == expired.end()) {
                expired.push_back(*o->hold_id);
            }
            continue;
        }
        const bool ours = owned_by(*o, booking_id);
        if (o->kind == Occupant::Kind::Assignment) {
            throw_conflict(*o, window, "assignment_overlap",
                           "Choose another table or window, or unassign the other booking first.");
        }
        throw_conflict(*o, window, ours ? "already_held" : "hold_overlap",
                       ours ? "The booking already holds this table; confirm or release that hold first."
                            : "Wait for the hold to expire, or release it with release_table_hold.");
    }
    return expired;
}

}  // namespace allocator
