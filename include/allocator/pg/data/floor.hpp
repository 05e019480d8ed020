// The floor of a restaurant for auto-assignment (issue 11): every table with its adjacency,
// read once per call. Between spi_connect() and spi_finish().
#pragma once

#include <vector>

#include "allocator/core/model.hpp"

namespace allocator::pg {

struct Floor {
    std::vector<TableInfo> tables;     // every table of the restaurant, by id
    std::vector<AdjacencyEdge> edges;  // every edge with an end among them
    std::vector<Uuid> table_ids;       // tables' ids, sorted
};

Floor load_floor(const Uuid& restaurant_id);

}  // namespace allocator::pg
