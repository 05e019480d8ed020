#include "allocator/pg/results.hpp"

#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

ReturnSetInfo* init_result_set(FunctionCallInfo fcinfo) {
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    return reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
}

// InitMaterializedSRF wants a row type; a one-column RETURNS TABLE is a plain SETOF scalar.
ReturnSetInfo* init_scalar_result_set(FunctionCallInfo fcinfo, Oid type, const char* column) {
    pg_call([&] {
        auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
        if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
            ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                            errmsg("set-valued function called in context that cannot accept a set")));
        MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
        TupleDesc desc = CreateTemplateTupleDesc(1);
        TupleDescInitEntry(desc, 1, column, type, -1, 0);
        rsinfo->returnMode = SFRM_Materialize;
        rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
        rsinfo->setDesc = desc;
        MemoryContextSwitchTo(old);
    });
    return reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
}

void put_row(ReturnSetInfo* rsinfo, Datum* values, bool* nulls) {
    pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
}

}  // namespace

void return_assignment_rows(FunctionCallInfo fcinfo, const std::vector<AssignedRow>& rows) {
    ReturnSetInfo* rsinfo = init_result_set(fcinfo);
    for (const AssignedRow& row : rows) {
        Datum values[4] = {datum_from_uuid(row.table_id), TimestampTzGetDatum(row.window.start),
                           TimestampTzGetDatum(row.window.end), 0};
        bool nulls[4] = {false, false, false, !row.merge_group_id.has_value()};
        if (row.merge_group_id) values[3] = datum_from_uuid(*row.merge_group_id);
        put_row(rsinfo, values, nulls);
    }
}

Datum composite_result(FunctionCallInfo fcinfo, std::initializer_list<Datum> values,
                       std::initializer_list<bool> nulls) {
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "allocator: the result must be a row type");
        if (desc->natts != static_cast<int>(values.size()) || values.size() != nulls.size())
            elog(ERROR, "allocator: the result has %d columns, not %zu", desc->natts, values.size());
        desc = BlessTupleDesc(desc);
        HeapTuple tuple = heap_form_tuple(desc, const_cast<Datum*>(values.begin()), const_cast<bool*>(nulls.begin()));
        return HeapTupleGetDatum(tuple);
    });
}

void return_table_ids(FunctionCallInfo fcinfo, const std::vector<Uuid>& ids) {
    ReturnSetInfo* rsinfo = init_scalar_result_set(fcinfo, UUIDOID, "table_id");
    for (const Uuid& id : ids) {
        Datum values[1] = {datum_from_uuid(id)};
        bool nulls[1] = {false};
        put_row(rsinfo, values, nulls);
    }
}

}  // namespace allocator::pg
