// Argument checks on a requested set of tables, done before any row is read.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator {

constexpr std::size_t kMaxTablesPerRequest = 16;
// Elements of a table id array that are read at all, duplicates included: four times the
// distinct limit, so a client that repeats ids (each table of a merge once per seat, say)
// is served, and a huge array is refused by its size before it is copied or deconstructed.
constexpr std::size_t kMaxTableArrayElements = 4 * kMaxTablesPerRequest;

// 22023 too_many_tables when an array of `elements` elements (its cardinality, from its
// header) is longer than kMaxTableArrayElements. `argument` names the parameter in messages.
void check_table_array_size(long long elements, const char* argument = "p_table_ids");

// Sorted, deduplicated table ids. Throws 22023 for an empty list, a NULL element, more than
// kMaxTableArrayElements elements or more than kMaxTablesPerRequest distinct tables. `argument` names the parameter in
// messages.
std::vector<Uuid> normalize_table_ids(const std::vector<std::optional<Uuid>>& raw,
                                      const char* argument = "p_table_ids");

}  // namespace allocator
