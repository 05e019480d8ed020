// The text of every SQL statement the extension runs from C++ (one place builds each).
#pragma once

#include "allocator/pg/postgres.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

constexpr int kMaxStatementArgs = 10;

struct StatementText {
    const char* name;
    const char* sql;
    int nargs;
    Oid argtypes[kMaxStatementArgs];
};

const StatementText& statement_text(Statement statement);

}  // namespace allocator::pg
