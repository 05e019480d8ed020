// Reading SQL arguments into core types. NULL is a value here (std::nullopt): the SQL
// functions are not STRICT, so a NULL argument gets the contract's 22023, not a silent NULL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

std::optional<Uuid> optional_uuid_arg(FunctionCallInfo fcinfo, int n);
// 22023 naming `name` when NULL.
Uuid required_uuid_arg(FunctionCallInfo fcinfo, int n, const char* name);
std::optional<std::vector<std::optional<Uuid>>> optional_uuid_array_arg(FunctionCallInfo fcinfo, int n);
// p_table_ids: sorted and deduplicated; 22023 when NULL, empty, with a NULL element or too long.
std::vector<Uuid> required_table_ids_arg(FunctionCallInfo fcinfo, int n);
std::optional<std::string> optional_text_arg(FunctionCallInfo fcinfo, int n);
bool bool_arg(FunctionCallInfo fcinfo, int n, bool when_null);
std::optional<Timestamp> optional_timestamp_arg(FunctionCallInfo fcinfo, int n);

// An idempotency key: NULL means none; empty or over 255 bytes is 22023.
std::optional<std::string> idempotency_key_arg(FunctionCallInfo fcinfo, int n);

}  // namespace allocator::pg
