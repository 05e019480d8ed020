// Reads of a restaurant's floor for auto-assignment (data/floor.hpp), by index probes
// (index_read.hpp) like the allocation context: no statement, no per-table probe but the
// adjacency's, and that only when a connected merge is searched.
#include "allocator/pg/data/floor.hpp"

#include <algorithm>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/index_read.hpp"

namespace allocator::pg {

namespace {

constexpr AttrNumber kStartAtColumn = 2;    // booking_table_assignments_restaurant_idx (restaurant_id, start_at)
constexpr AttrNumber kExpiresAtColumn = 1;  // table_holds_expires_at_idx (expires_at)

// Whether this transaction may have changed a floor: it holds a lock that every write of
// table_inventory or table_adjacencies takes (RowExclusiveLock, or a stronger one for TRUNCATE
// and DDL), from its statement's parse to the transaction's end. Why not the version row
// alone: a statement's AFTER STATEMENT trigger renews it only when the statement ends, so a
// row trigger or a data-modifying CTE that quotes within it would otherwise see the
// statement's own change under the committed version, and keep it past a rollback. A lock
// taken in a subtransaction that rolled back is released with the change it guarded.
bool floor_tables_locked_for_writing() {
    for (const char* table : {"table_inventory", "table_adjacencies"}) {
        const Oid relid = extension_relation_id(table);
        const bool locked = pg_call([&] {
            LOCKTAG tag;
            SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
            for (LOCKMODE mode = RowExclusiveLock; mode <= MaxLockMode; ++mode) {
                if (LockHeldByMe(&tag, mode)) return true;
            }
            return false;
        });
        if (locked) return true;
    }
    return false;
}

// The restaurant's version on `snapshot`, when its floor can be kept: none without a row
// (nothing was ever written through the triggers, so the count says nothing), when this
// transaction wrote the row (the change, and the number with it, may still roll back;
// another transaction's row that this snapshot sees has committed), or when this transaction
// may have changed the floor's tables at all.
std::optional<FloorVersion> committed_floor_version(const ReadSnapshot& snapshot, const Uuid& restaurant_id) {
    std::optional<FloorVersion> version;
    if (floor_tables_locked_for_writing()) return version;
    TableRead versions(snapshot, "floor_versions", "floor_versions_pkey", {"version"});
    versions.each({IndexKey::uuid(restaurant_id)}, [&] {
        if (!versions.written_by_this_transaction()) version = FloorVersion{versions.table_id(), versions.bigint(0)};
    });
    versions.close();
    return version;
}

// The floors this backend read, least recently used first. A handful: a backend serves a
// few restaurants at a time, and a floor of 200 tables is some 30 kB.
constexpr std::size_t kKeptFloors = 8;

std::vector<Floor>& kept_floors() {
    static std::vector<Floor> kept;
    return kept;
}

// The kept floor of the restaurant at `version`, moved to the most recently used end.
Floor* find_kept(const Uuid& restaurant_id, const FloorVersion& version) {
    std::vector<Floor>& kept = kept_floors();
    const auto found = std::find_if(kept.begin(), kept.end(), [&](const Floor& f) {
        return f.restaurant_id == restaurant_id && f.version == version;
    });
    if (found == kept.end()) return nullptr;
    std::rotate(found, found + 1, kept.end());
    return &kept.back();
}

void keep(const Floor& floor) {
    std::vector<Floor>& kept = kept_floors();
    kept.erase(std::remove_if(kept.begin(), kept.end(),
                              [&](const Floor& f) { return f.restaurant_id == floor.restaurant_id; }),
               kept.end());
    if (kept.size() >= kKeptFloors) kept.erase(kept.begin());
    kept.push_back(floor);
}

}  // namespace

// Every edge once (each is stored one way round, with both ends in the restaurant: an edge
// never crosses zones): the probes by table_a of every table find each edge exactly once.
void read_floor_edges(Floor& floor) {
    if (floor.edges_read) return;
    ReadSnapshot snapshot;
    enum { kA, kB };
    TableRead edges(snapshot, "table_adjacencies", "table_adjacencies_pkey", {"table_a", "table_b"});
    for (const Uuid& id : floor.table_ids) {
        edges.each({IndexKey::uuid(id)}, [&] { floor.edges.push_back({edges.uuid(kA), edges.uuid(kB)}); });
    }
    edges.close();
    floor.edges_read = true;
    // Kept only if no change to the floor committed between the two snapshots.
    if (floor.version && committed_floor_version(snapshot, floor.restaurant_id) == floor.version) {
        if (Floor* kept = find_kept(floor.restaurant_id, *floor.version)) {
            kept->edges = floor.edges;
            kept->edges_read = true;
        }
    }
    snapshot.release();
}

Floor load_floor(const Uuid& restaurant_id) {
    ReadSnapshot snapshot;
    const std::optional<FloorVersion> version = committed_floor_version(snapshot, restaurant_id);
    if (version) {
        if (const Floor* kept = find_kept(restaurant_id, *version)) {
            snapshot.release();
            return *kept;
        }
    }
    Floor floor;
    floor.restaurant_id = restaurant_id;
    floor.version = version;
    // The restaurant's tables by its unique key (restaurant_id, table_number).
    TableRead inventory(snapshot, "table_inventory", "table_inventory_restaurant_id_table_number_key",
                        {"id", "restaurant_id", "zone_id", "capacity", "table_number", "status", "mobility", "active"});
    inventory.each({IndexKey::uuid(restaurant_id)}, [&] { floor.tables.push_back(table_info_of(inventory, 0)); });
    inventory.close();
    // In the index's order, by table number: the planner orders its candidates itself.
    floor.table_ids.reserve(floor.tables.size());
    for (const TableInfo& t : floor.tables) floor.table_ids.push_back(t.id);
    snapshot.release();
    if (version) keep(floor);
    return floor;
}

// Assignments through (restaurant_id, start_at): those starting in [window.start - 24 h,
// window.end + 24 h): every row of at most a day that overlaps the window, and its neighbours
// up to a day away (the planner's keys 5 and 6). Holds through expires_at: the live ones
// (every hold expires within its ttl, so they are few in the whole database), kept when the
// restaurant's and within the same day on either side.
std::vector<Occupant> load_window_occupants(const Uuid& restaurant_id, const Uuid& booking_id, const Window& window) {
    ReadSnapshot snapshot;
    std::vector<Occupant> out;
    const Window around{window.start - kMaxWindowMicros, window.end + kMaxWindowMicros};

    enum { kTable, kBooking, kStart, kEnd };
    TableRead assignments(snapshot, "booking_table_assignments", "booking_table_assignments_restaurant_idx",
                          {"table_id", "booking_id", "start_at", "end_at"});
    assignments.each({IndexKey::uuid(restaurant_id), IndexKey::at_or_after(kStartAtColumn, around.start),
                      IndexKey::before(kStartAtColumn, around.end)},
                     [&] {
                         Occupant o;
                         o.kind = Occupant::Kind::Assignment;
                         o.table_id = assignments.uuid(kTable);
                         o.booking_id = assignments.uuid(kBooking);
                         o.window = Window{assignments.timestamp(kStart), assignments.timestamp(kEnd)};
                         if (o.booking_id != booking_id && o.window.overlaps(around)) out.push_back(o);
                     });
    assignments.close();

    enum { kId, kHoldBooking, kRestaurant, kTables, kHoldStart, kHoldEnd };
    TableRead holds(snapshot, "table_holds", "table_holds_expires_at_idx",
                    {"id", "booking_id", "restaurant_id", "table_ids", "start_at", "end_at"});
    // now(): the transaction's start, as the statements' expires_at > now().
    holds.each({IndexKey::after(kExpiresAtColumn, GetCurrentTransactionStartTimestamp())}, [&] {
        const Window held{holds.timestamp(kHoldStart), holds.timestamp(kHoldEnd)};
        if (holds.uuid(kRestaurant) != restaurant_id || !held.overlaps(around)) return;
        Occupant o;
        o.kind = Occupant::Kind::Hold;
        o.hold_id = holds.uuid(kId);
        o.booking_id = holds.optional_uuid(kHoldBooking);
        o.window = held;
        for (const Uuid& table : holds.uuid_array(kTables)) {
            o.table_id = table;
            out.push_back(o);
        }
    });
    holds.close();
    snapshot.release();
    return out;
}

}  // namespace allocator::pg
