// Argument checks on a requested set of tables, done before any row is read.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator {

constexpr std::size_t kMaxTablesPerRequest = 16;

// Sorted, deduplicated table ids. Throws 22023 for an empty list, a NULL element or more
// than kMaxTablesPerRequest distinct tables. `argument` names the parameter in messages.
std::vector<Uuid> normalize_table_ids(const std::vector<std::optional<Uuid>>& raw,
                                      const char* argument = "p_table_ids");

}  // namespace allocator
