#include "allocator/core/table_request.hpp"

#include <algorithm>
#include <string>

#include "allocator/core/errors.hpp"

namespace allocator {

void check_table_array_size(long long elements, const char* argument) {
    if (elements <= static_cast<long long>(kMaxTableArrayElements)) return;
    const std::string name(argument);
    throw AllocatorError(SqlState::InvalidParameter,
                         name + " has " + std::to_string(elements) + " elements; at most " +
                             std::to_string(kMaxTableArrayElements) + " are accepted (" +
                             std::to_string(kMaxTablesPerRequest) + " distinct tables)",
                         ErrorDetail("too_many_tables")
                             .add("elements", elements)
                             .add("element_limit", static_cast<long long>(kMaxTableArrayElements))
                             .add("limit", static_cast<long long>(kMaxTablesPerRequest)),
                         "Split the party across fewer tables, and pass each table id once.");
}

std::vector<Uuid> normalize_table_ids(const std::vector<std::optional<Uuid>>& raw, const char* argument) {
    const std::string name(argument);
    check_table_array_size(static_cast<long long>(raw.size()), argument);
    if (raw.empty()) {
        throw AllocatorError(SqlState::InvalidParameter, name + " must not be empty", ErrorDetail("no_tables"),
                             "Pass at least one table id.");
    }
    std::vector<Uuid> ids;
    ids.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (!raw[i]) {
            throw AllocatorError(SqlState::InvalidParameter,
                                 name + " must not contain NULL (element " + std::to_string(i + 1) + ")",
                                 ErrorDetail("null_table_id").add("position", static_cast<long long>(i) + 1),
                                 "Remove the NULL element from the array.");
        }
        ids.push_back(*raw[i]);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.size() > kMaxTablesPerRequest) {
        throw AllocatorError(SqlState::InvalidParameter,
                             name + " names " + std::to_string(ids.size()) + " tables; at most " +
                                 std::to_string(kMaxTablesPerRequest) + " are allowed",
                             ErrorDetail("too_many_tables")
                                 .add("count", static_cast<long long>(ids.size()))
                                 .add("limit", static_cast<long long>(kMaxTablesPerRequest)),
                             "Split the party across fewer tables.");
    }
    return ids;
}

}  // namespace allocator
