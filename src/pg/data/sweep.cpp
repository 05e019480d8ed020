// SQL of the hold sweeper (data/sweep.hpp).
#include "allocator/pg/data/sweep.hpp"

#include "allocator/pg/spi.hpp"
#include "delete_holds_sql.hpp"

namespace allocator::pg {

namespace {

// $1 batch size.
const Statement kSweepBatch{
    "sweep expired holds",
    DELETE_HOLDS("select id from @extschema@.table_holds where expires_at OPERATOR(pg_catalog.<=) pg_catalog.now() "
                 "order by expires_at, id limit $1 for update skip locked",
                 "'hold.expired'", "pg_catalog.jsonb_build_object('removed_by', 'sweep_expired_holds')",
                 "select pg_catalog.count(*) from removed"),
    {INT4OID}};

const Statement kCallSweepFunction{"call sweep_expired_holds", "select @extschema@.sweep_expired_holds($1)", {INT4OID}};

}  // namespace

long long sweep_expired_batch(int limit) {
    return kSweepBatch.execute({Param::of(limit)})[0].bigint(1);
}

long long call_sweep_function(int limit) {
    return kCallSweepFunction.execute({Param::of(limit)})[0].integer(1);
}

}  // namespace allocator::pg
