// The occupants read (data/occupants.hpp).
#include "allocator/pg/data/occupants.hpp"

#include "allocator/pg/index_read.hpp"

namespace allocator::pg {

namespace {

bool overlaps(const Window& a, const Window& b) {
    return a.start < b.end && b.start < a.end;
}

// One probe of `read`'s index per table, by (table, window); on_row(table) for each row found.
template <typename OnRow>
void probe_each_table(TableRead& read, const std::vector<Uuid>& tables, const IndexKey& in_window, OnRow&& on_row) {
    for (const Uuid& table : tables) read.each({IndexKey::uuid(table), in_window}, [&] { on_row(table); });
    read.close();
}

}  // namespace

// One probe of each exclusion constraint's GiST index per table, by (table, window), made
// directly (index_read.hpp): the probes are the read's whole work, and a statement making
// them cost its executor start-up on every call besides. The GiST probe may be lossy, so
// every row is checked again here: its table and its [start, end) against the window.
std::vector<Occupant> load_occupants(const std::vector<Uuid>& tables, const std::optional<Uuid>& booking_id,
                                     const Window& window) {
    ReadSnapshot snapshot;
    const IndexKey in_window = IndexKey::overlaps(window);
    std::vector<Occupant> out;

    enum { kTable, kBooking, kStart, kEnd };
    TableRead assignments(snapshot, "booking_table_assignments", "booking_table_assignments_no_overlap",
                          {"table_id", "booking_id", "start_at", "end_at"});
    probe_each_table(assignments, tables, in_window, [&](const Uuid& table) {
        Occupant o;
        o.kind = Occupant::Kind::Assignment;
        o.table_id = assignments.uuid(kTable);
        o.booking_id = assignments.uuid(kBooking);
        o.window = Window{assignments.timestamp(kStart), assignments.timestamp(kEnd)};
        if (o.table_id == table && o.booking_id != booking_id && overlaps(o.window, window)) out.push_back(o);
    });

    enum { kMemberHold, kMemberTable, kMemberStart, kMemberEnd };
    TableRead members(snapshot, "table_hold_members", "table_hold_members_no_overlap",
                      {"hold_id", "table_id", "start_at", "end_at"});
    std::vector<Occupant> held;
    probe_each_table(members, tables, in_window, [&](const Uuid& table) {
        Occupant o;
        o.kind = Occupant::Kind::Hold;
        o.hold_id = members.uuid(kMemberHold);
        o.table_id = members.uuid(kMemberTable);
        o.window = Window{members.timestamp(kMemberStart), members.timestamp(kMemberEnd)};
        if (o.table_id == table && overlaps(o.window, window)) held.push_back(o);
    });

    // Each member's hold: its booking, and whether it is live (expires_at > now(), the
    // transaction's start). A member whose hold is gone in this snapshot is no occupant.
    enum { kHoldBooking, kHoldExpires };
    TableRead holds(snapshot, "table_holds", "table_holds_pkey", {"booking_id", "expires_at"});
    for (Occupant& o : held) {
        holds.each({IndexKey::uuid(*o.hold_id)}, [&] {
            o.booking_id = holds.optional_uuid(kHoldBooking);
            o.live = holds.timestamp(kHoldExpires) > GetCurrentTransactionStartTimestamp();
            out.push_back(o);
        });
    }
    holds.close();
    snapshot.release();
    return out;
}

}  // namespace allocator::pg
