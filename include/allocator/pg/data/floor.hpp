// The floor of a restaurant for auto-assignment (issue 11): every table, its adjacency when
// a plan must be connected, and what is taken in a window, read once per plan. Between
// spi_connect() and spi_finish().
//
// A backend keeps the floors it read (a few restaurants' worth) with the restaurant's row of
// floor_versions read on the same snapshot, and serves one again while a read of that row
// finds the same committed version: every change to a restaurant's tables or adjacency
// writes that row in its own transaction (sql/install/16_floor_versions.sql), so a snapshot
// that sees the version sees exactly the floor kept with it. What is taken in a window is
// read by every call.
#pragma once

#include <optional>
#include <vector>

#include "allocator/core/model.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// A restaurant's row of floor_versions, as a kept floor is matched to it: the table's OID
// too, so a floor kept before the extension was dropped and created again never matches.
struct FloorVersion {
    Oid table = InvalidOid;
    long long value = 0;
    bool operator==(const FloorVersion& o) const { return table == o.table && value == o.value; }
};

struct Floor {
    Uuid restaurant_id;
    std::vector<TableInfo> tables;     // every table of the restaurant, by table number
    std::vector<AdjacencyEdge> edges;  // every edge among them, once read_floor_edges has run
    std::vector<Uuid> table_ids;       // tables' ids, in the same order
    bool edges_read = false;
    // The committed version read with the tables; none when the floor cannot be kept (the
    // restaurant has no row, or this transaction wrote it and may still roll it back).
    std::optional<FloorVersion> version;
};

// The restaurant's tables, without the adjacency (kept, when the adjacency was read since).
Floor load_floor(const Uuid& restaurant_id);

// The adjacency of the floor's tables, once (a probe per table: read only when a connected
// merge is actually searched). Kept with the floor when the version is still the one its
// tables were read with.
void read_floor_edges(Floor& floor);

// What occupies the restaurant's tables during `window` and up to a day on either side, in
// one pass over two indexes: the assignments of other bookings that are at most a day long
// (every explicit window is; a booking's own window may be longer, and such rows are missed
// here, so plans are checked again with load_occupants on their own tables), and every live
// hold. As load_occupants, without the expired holds (they block nothing), plus the
// neighbours that do not overlap the window (taken_tables skips them; the planner ranks by them).
std::vector<Occupant> load_window_occupants(const Uuid& restaurant_id, const Uuid& booking_id, const Window& window);

// A table_inventory row whose columns id, restaurant_id, zone_id, capacity, table_number,
// status, mobility, active come in this order from column `first` on (a Row or a TableRead).
template <typename Columns>
TableInfo table_info_of(const Columns& row, int first) {
    TableInfo t;
    t.id = row.uuid(first);
    t.restaurant_id = row.uuid(first + 1);
    t.zone_id = row.uuid(first + 2);
    t.capacity = row.integer(first + 3);
    t.table_number = row.text(first + 4);
    t.status = row.text(first + 5);
    t.movable = row.text(first + 6) == "movable";
    t.active = row.boolean(first + 7);
    return t;
}

}  // namespace allocator::pg
