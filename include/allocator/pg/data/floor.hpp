// The floor of a restaurant for auto-assignment (issue 11): every table, its adjacency when
// a plan must be connected, and what is taken in a window, read once per plan. Between
// spi_connect() and spi_finish().
#pragma once

#include <vector>

#include "allocator/core/model.hpp"

namespace allocator::pg {

struct Floor {
    std::vector<TableInfo> tables;     // every table of the restaurant, by table number
    std::vector<AdjacencyEdge> edges;  // every edge among them, once read_floor_edges has run
    std::vector<Uuid> table_ids;       // tables' ids, in the same order
    bool edges_read = false;
};

// The restaurant's tables, without the adjacency.
Floor load_floor(const Uuid& restaurant_id);

// The adjacency of the floor's tables, once (a probe per table: read only when a connected
// merge is actually searched).
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
