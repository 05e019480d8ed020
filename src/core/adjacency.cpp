#include "allocator/core/adjacency.hpp"

#include <boost/container/flat_map.hpp>
#include <boost/container/small_vector.hpp>

namespace allocator {

bool tables_connected(const std::vector<Uuid>& tables, const std::vector<AdjacencyEdge>& edges) {
    if (tables.size() <= 1) return true;

    // Union-find over the member tables; edges touching a non-member are ignored, since a
    // path through a table outside the merge does not join the merged tables physically.
    boost::container::flat_map<Uuid, std::size_t> index;
    index.reserve(tables.size());
    for (const Uuid& t : tables) index.emplace(t, index.size());

    boost::container::small_vector<std::size_t, 16> parent(index.size());
    for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = i;
    auto find = [&parent](std::size_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };

    std::size_t components = index.size();
    for (const AdjacencyEdge& e : edges) {
        auto ia = index.find(e.a);
        auto ib = index.find(e.b);
        if (ia == index.end() || ib == index.end()) continue;
        const std::size_t ra = find(ia->second);
        const std::size_t rb = find(ib->second);
        if (ra != rb) {
            parent[ra] = rb;
            if (--components == 1) return true;
        }
    }
    return components == 1;
}

}  // namespace allocator
