// Returning rows from SQL functions (materialized set-returning mode).
#pragma once

#include <vector>

#include <initializer_list>

#include "allocator/core/assignment_plan.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// table(table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
void return_assignment_rows(FunctionCallInfo fcinfo, const std::vector<AssignedRow>& rows);

// The function's (or procedure's OUT parameters') row type, from these columns.
Datum composite_result(FunctionCallInfo fcinfo, std::initializer_list<Datum> values, std::initializer_list<bool> nulls);

// table(table_id uuid)
void return_table_ids(FunctionCallInfo fcinfo, const std::vector<Uuid>& ids);

}  // namespace allocator::pg
