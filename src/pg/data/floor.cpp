// SQL of a restaurant's floor (data/floor.hpp).
#include "allocator/pg/data/floor.hpp"

#include <algorithm>

#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

const Statement kFloorTables{"floor tables",
                             R"sql(
select t.id, t.restaurant_id, t.zone_id, t.capacity, t.table_number, t.status, t.mobility, t.active
  from @extschema@.table_inventory t
 where t.restaurant_id OPERATOR(pg_catalog.=) $1
 order by t.id
)sql",
                             {UUIDOID}};

// Both ends are the restaurant's: an edge never crosses zones (20_reference_triggers.sql).
const Statement kFloorEdges{"floor edges",
                            R"sql(
select e.table_a, e.table_b
  from @extschema@.table_adjacencies e
  join @extschema@.table_inventory t on t.id OPERATOR(pg_catalog.=) e.table_a
 where t.restaurant_id OPERATOR(pg_catalog.=) $1
)sql",
                            {UUIDOID}};

}  // namespace

Floor load_floor(const Uuid& restaurant_id) {
    Floor floor;
    Rows tables = kFloorTables.execute({Param::of(restaurant_id)});
    floor.tables.reserve(tables.size());
    for (uint64 i = 0; i < tables.size(); ++i) {
        floor.tables.push_back(table_info_of(tables[i], 1));
        floor.table_ids.push_back(floor.tables.back().id);
    }
    std::sort(floor.table_ids.begin(), floor.table_ids.end());

    Rows edges = kFloorEdges.execute({Param::of(restaurant_id)});
    floor.edges.reserve(edges.size());
    for (uint64 i = 0; i < edges.size(); ++i) floor.edges.push_back({edges[i].uuid(1), edges[i].uuid(2)});
    return floor;
}

}  // namespace allocator::pg
