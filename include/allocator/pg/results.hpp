// Returning rows from SQL functions (materialized set-returning mode).
#pragma once

#include <vector>

#include "allocator/pg/allocation_store.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// table(table_id uuid, start_at timestamptz, end_at timestamptz, merge_group_id uuid)
void return_assignment_rows(FunctionCallInfo fcinfo, const std::vector<AssignedRow>& rows);

// table(table_id uuid)
void return_table_ids(FunctionCallInfo fcinfo, const std::vector<Uuid>& ids);

}  // namespace allocator::pg
