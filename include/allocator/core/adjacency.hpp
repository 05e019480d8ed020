// Adjacency as connectivity: a merge is acceptable only if its tables form one connected
// component of the undirected adjacency graph. "Each table has some neighbour" is not enough.
#pragma once

#include <vector>

#include "allocator/core/model.hpp"

namespace allocator {

// True when `tables` (distinct ids) are connected using only edges between members of
// `tables`; edges are undirected and may be listed in either direction. A single table is
// connected.
bool tables_connected(const std::vector<Uuid>& tables, const std::vector<AdjacencyEdge>& edges);

}  // namespace allocator
