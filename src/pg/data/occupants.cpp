// SQL of the occupants read (data/occupants.hpp).
#include "allocator/pg/data/occupants.hpp"

#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// One probe of each exclusion constraint's GiST index per table, by (table, window), whatever
// the statistics: the LATERAL subquery, kept apart by OFFSET 0, runs once per table with the
// table as an index condition. Flattened into a join, the planner would rather scan the
// index by window alone when the tables look small, meeting every hold of the evening on
// every table. $1 tables, $2 the booking whose own assignments don't count, $3-$4 the window.
const Statement kLoadOccupants{"load occupants",
                               R"sql(
select false as is_hold, a.table_id, a.booking_id, null::uuid as hold_id, a.start_at, a.end_at, true as live
  from pg_catalog.unnest($1) as r(table_id),
       lateral (select a.table_id, a.booking_id, a.start_at, a.end_at
                  from @extschema@.booking_table_assignments a
                 where a.table_id OPERATOR(pg_catalog.=) r.table_id
                   and pg_catalog.tstzrange(a.start_at, a.end_at, '[)')
                       OPERATOR(pg_catalog.&&) pg_catalog.tstzrange($3, $4, '[)')
                   and a.booking_id OPERATOR(pg_catalog.<>) $2
                offset 0) a
union all
select true, m.table_id, h.booking_id, h.id, m.start_at, m.end_at, h.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
  from pg_catalog.unnest($1) as r(table_id),
       lateral (select m.hold_id, m.table_id, m.start_at, m.end_at
                  from @extschema@.table_hold_members m
                 where m.table_id OPERATOR(pg_catalog.=) r.table_id
                   and pg_catalog.tstzrange(m.start_at, m.end_at, '[)')
                       OPERATOR(pg_catalog.&&) pg_catalog.tstzrange($3, $4, '[)')
                offset 0) m
  join @extschema@.table_holds h on h.id OPERATOR(pg_catalog.=) m.hold_id
)sql",
                               {UUIDARRAYOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}};

enum Column { kIsHold = 1, kTableId, kBookingId, kHoldId, kStart, kEnd, kLive };

}  // namespace

std::vector<Occupant> load_occupants(const std::vector<Uuid>& tables, const std::optional<Uuid>& booking_id,
                                     const Window& window) {
    Rows rows = kLoadOccupants.execute(
        {Param::of(tables), Param::of(booking_id), Param::of(window.start), Param::of(window.end)});
    std::vector<Occupant> out;
    out.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) {
        const Row r = rows[i];
        Occupant o;
        o.kind = r.boolean(kIsHold) ? Occupant::Kind::Hold : Occupant::Kind::Assignment;
        o.table_id = r.uuid(kTableId);
        o.booking_id = r.optional_uuid(kBookingId);
        o.hold_id = r.optional_uuid(kHoldId);
        o.window = Window{r.timestamp(kStart), r.timestamp(kEnd)};
        o.live = r.boolean(kLive);
        out.push_back(o);
    }
    return out;
}

}  // namespace allocator::pg
