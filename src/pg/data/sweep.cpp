// SQL of the hold sweeper (data/sweep.hpp).
#include "allocator/pg/data/sweep.hpp"

#include "allocator/pg/direct_write.hpp"
#include "allocator/pg/spi.hpp"
#include "delete_holds_sql.hpp"

namespace allocator::pg {

namespace {

// The oldest expired holds no other transaction has locked, oldest first.
#define EXPIRED_HOLDS                                                                               \
    "select h.id, h.restaurant_id, h.booking_id, h.table_ids, h.start_at, h.end_at, h.expires_at "  \
    "  from @extschema@.table_holds h where h.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now() " \
    " order by h.expires_at, h.id limit $1 for update skip locked"
#define SWEEP_EVENT_TYPE "'hold.expired'"
#define SWEEP_EVENT_CONTEXT "pg_catalog.jsonb_build_object('removed_by', 'sweep_expired_holds')"

// The batch as one statement, for a table_holds with triggers a direct delete cannot honour
// (DirectWrite::deletes_directly). $1 batch size.
const Statement kSweepBatch{
    "sweep expired holds",
    DELETE_HOLDS(EXPIRED_HOLDS, SWEEP_EVENT_TYPE, SWEEP_EVENT_CONTEXT, "select pg_catalog.count(*) from removed"),
    {INT4OID}};

// The batch in three steps, the way that does not fire two cascades a hold (a foreign-key
// action is a query of its own, a third of a batch: bench/README.md): the holds locked, with
// their events; their members and mirror rows deleted by a statement of their own, whose
// snapshot is taken after those locks; the holds deleted directly, without the cascades of
// those two foreign keys, which could find nothing left (DirectWrite::skip_cascaded_deletes).
// $1 batch size; the ids of the holds locked (NULL for none).
const Statement kLockExpiredHolds{
    "lock expired holds",
    "with doomed as (" EXPIRED_HOLDS "), " HOLD_EVENTS(
        "doomed", SWEEP_EVENT_TYPE, SWEEP_EVENT_CONTEXT) " select pg_catalog.array_agg(d.id) from doomed d",
    {INT4OID}};

// $1 the holds.
const Statement kDeleteHoldChildren{
    "delete expired holds' members and mirror rows", "with " DELETE_HOLD_CHILDREN("$1") " select", {UUIDARRAYOID}};

#undef EXPIRED_HOLDS
#undef SWEEP_EVENT_TYPE
#undef SWEEP_EVENT_CONTEXT

const Statement kCallSweepFunction{"call sweep_expired_holds", "select @extschema@.sweep_expired_holds($1)", {INT4OID}};

}  // namespace

long long sweep_expired_batch(int limit) {
    if (!DirectWrite::deletes_directly("table_holds")) return kSweepBatch.execute({Param::of(limit)})[0].bigint(1);

    Rows locked = kLockExpiredHolds.execute({Param::of(limit)});
    if (locked[0].is_null(1)) return 0;
    const std::vector<Uuid> holds = locked[0].uuid_array(1);
    kDeleteHoldChildren.execute({Param::of(holds)});

    DirectWrite write({"table_holds"});
    write.skip_cascaded_deletes(0, {{"table_hold_members", "hold_id"}, {"allocations", "hold_id"}});
    long long deleted = 0;
    for (const Uuid& hold : holds) deleted += write.delete_locked_row(0, hold) ? 1 : 0;
    write.finish();
    return deleted;
}

long long call_sweep_function(int limit) {
    return kCallSweepFunction.execute({Param::of(limit)})[0].integer(1);
}

}  // namespace allocator::pg
