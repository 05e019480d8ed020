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
    enum { kId = 1, kRestaurant, kZone, kCapacity, kNumber, kStatus, kMobility, kActive };
    Rows tables = kFloorTables.execute({Param::of(restaurant_id)});
    floor.tables.reserve(tables.size());
    for (uint64 i = 0; i < tables.size(); ++i) {
        const Row r = tables[i];
        TableInfo t;
        t.id = r.uuid(kId);
        t.restaurant_id = r.uuid(kRestaurant);
        t.zone_id = r.uuid(kZone);
        t.capacity = r.integer(kCapacity);
        t.table_number = r.text(kNumber);
        t.status = r.text(kStatus);
        t.movable = r.text(kMobility) == "movable";
        t.active = r.boolean(kActive);
        floor.table_ids.push_back(t.id);
        floor.tables.push_back(std::move(t));
    }
    std::sort(floor.table_ids.begin(), floor.table_ids.end());

    Rows edges = kFloorEdges.execute({Param::of(restaurant_id)});
    floor.edges.reserve(edges.size());
    for (uint64 i = 0; i < edges.size(); ++i) floor.edges.push_back({edges[i].uuid(1), edges[i].uuid(2)});
    return floor;
}

}  // namespace allocator::pg
