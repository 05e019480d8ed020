// SQL of the hold lifecycle (data/holds.hpp).
#include "allocator/pg/data/holds.hpp"

#include <algorithm>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"
#include "delete_holds_sql.hpp"

namespace allocator::pg {

namespace {

const Statement kLoadHold{"load hold",
                          R"sql(
select id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at,
       expires_at OPERATOR(pg_catalog.>) pg_catalog.now()
  from @extschema@.table_holds where id OPERATOR(pg_catalog.=) $1
)sql",
                          {UUIDOID}};

enum HoldColumn { kId = 1, kBookingId, kRestaurantId, kZoneId, kTableIds, kStart, kEnd, kLive };

// $1 booking, $2 restaurant, $3 zone, $4 tables, $5-$6 window, $7 ttl, $8 created_by, $9 metadata.
const Statement kInsertHold{
    "insert hold",
    R"sql(
with hold as (
    insert into @extschema@.table_holds
        (booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at, created_by, metadata)
    values ($1, $2, $3, $4, $5, $6, pg_catalog.now() OPERATOR(pg_catalog.+) $7, $8, $9)
    returning *),
members as (
    insert into @extschema@.table_hold_members (hold_id, table_id, start_at, end_at)
    select h.id, t.table_id, h.start_at, h.end_at from hold h, pg_catalog.unnest(h.table_ids) as t(table_id)
    returning 1),
mirror as (
    insert into @extschema@.allocations
        (booking_id, restaurant_id, resource_type, resource_id, "window", created_by, hold_id)
    select h.booking_id, h.restaurant_id, 'hold', t.table_id, pg_catalog.tstzrange(h.start_at, h.end_at, '[)'),
           h.created_by, h.id
      from hold h, pg_catalog.unnest(h.table_ids) as t(table_id)
     where coalesce((select f.enabled from @extschema@.allocator_flags f
                      where f.name OPERATOR(pg_catalog.=) 'allocations_dual_write'), true)
    returning 1),
events as (
    insert into @extschema@.observability_events (source, event_type, severity, restaurant_id, booking_id, context)
    select 'capacity.hold', 'hold.created', 'info', h.restaurant_id, h.booking_id,
           pg_catalog.jsonb_build_object('hold_id', h.id, 'table_ids', h.table_ids, 'start_at', h.start_at,
               'end_at', h.end_at, 'expires_at', h.expires_at, 'created_by', h.created_by,
               'session_user', session_user)
      from hold h
    returning 1)
select h.* from hold h
)sql",
    {UUIDOID, UUIDOID, UUIDOID, UUIDARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INTERVALOID, UUIDOID, JSONBOID}};

// $1 holds, $2 who removed them.
const Statement kDeleteExpiredHolds{
    "delete expired holds",
    DELETE_HOLDS("select id from @extschema@.table_holds where id OPERATOR(pg_catalog.=) any ($1) "
                 "and expires_at OPERATOR(pg_catalog.<=) pg_catalog.now()",
                 "'hold.expired'", "pg_catalog.jsonb_build_object('removed_by', $2::text)",
                 "select pg_catalog.count(*) from removed"),
    {UUIDARRAYOID, TEXTOID}};

// $1 hold, $2 event type, $3 extra context. One row (the hold's liveness) if it existed.
const Statement kDeleteHold{"delete hold",
                            DELETE_HOLDS("select $1::uuid as id", "$2", "$3::jsonb",
                                         "select r.expires_at OPERATOR(pg_catalog.>) pg_catalog.now() from removed r"),
                            {UUIDOID, TEXTOID, TEXTOID}};

}  // namespace

std::optional<HoldRecord> load_hold(const Uuid& hold_id) {
    Rows rows = kLoadHold.execute({Param::of(hold_id)});
    if (rows.empty()) return std::nullopt;
    const Row r = rows[0];
    HoldRecord hold;
    hold.id = r.uuid(kId);
    hold.booking_id = r.optional_uuid(kBookingId);
    hold.restaurant_id = r.uuid(kRestaurantId);
    hold.zone_id = r.uuid(kZoneId);
    hold.table_ids = r.uuid_array(kTableIds);
    std::sort(hold.table_ids.begin(), hold.table_ids.end());
    hold.window = Window{r.timestamp(kStart), r.timestamp(kEnd)};
    hold.live = r.boolean(kLive);
    return hold;
}

Datum insert_hold(const NewHold& hold, FunctionCallInfo fcinfo, MemoryContext result_context) {
    kInsertHold.execute({Param::of(hold.booking.id), Param::of(hold.booking.restaurant_id), Param::of(hold.zone),
                         Param::of(hold.tables), Param::of(hold.window.start), Param::of(hold.window.end),
                         Param::of_datum(hold.ttl), Param::of(hold.created_by), Param::of_datum(hold.metadata)});
    HeapTuple source = SPI_tuptable->vals[0];
    TupleDesc source_desc = SPI_tuptable->tupdesc;
    return pg_call([&] {
        TupleDesc result_desc;
        if (get_call_result_type(fcinfo, nullptr, &result_desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "allocator: create_table_hold must return a row type");
        if (result_desc->natts != source_desc->natts)
            elog(ERROR, "allocator: table_holds has %d columns but the result has %d", source_desc->natts,
                 result_desc->natts);
        auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * source_desc->natts));
        auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * source_desc->natts));
        heap_deform_tuple(source, source_desc, values, nulls);
        MemoryContext old = MemoryContextSwitchTo(result_context);
        result_desc = BlessTupleDesc(result_desc);
        HeapTuple result = heap_form_tuple(result_desc, values, nulls);
        MemoryContextSwitchTo(old);
        return HeapTupleGetDatum(result);
    });
}

void delete_expired_holds(const std::vector<Uuid>& hold_ids, const std::string& removed_by) {
    kDeleteExpiredHolds.execute_row_locking({Param::of(hold_ids), Param::of(removed_by)});
}

std::optional<bool> delete_hold(const Uuid& hold_id, const std::string& event_type, const std::string& extra_context) {
    Rows rows = kDeleteHold.execute_row_locking({Param::of(hold_id), Param::of(event_type), Param::of(extra_context)});
    if (rows.empty()) return std::nullopt;
    return rows[0].boolean(1);
}

}  // namespace allocator::pg
