// The error contract (docs/errors.md), as a C++ exception the PostgreSQL layer reports.
//
// Core code throws AllocatorError; one place in the PostgreSQL layer (src/pg/error_report.cpp:
// pg::capture_current_exception, then pg::raise_error) turns it into ereport(ERROR) with
// SQLSTATE, message, JSON DETAIL and HINT, or into PostgREST's PGRST form for a PostgREST
// request. Nothing else formats user-facing errors.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "allocator/core/json_object.hpp"
#include "allocator/core/uuid.hpp"

namespace allocator {

enum class SqlState {
    InvalidParameter,       // 22023 bad argument, idempotency_mismatch
    NotFound,               // P0002 booking / table / hold missing, hold expired
    CheckViolation,         // 23514 business rule refused
    ExclusionViolation,     // 23P01 overlap with another booking or a live hold
    LockNotAvailable,       // 55P03 allocator lock not obtained in time
    InsufficientPrivilege,  // 42501 not staff of the restaurant, or no signed-in user
    ReadOnlyTransaction,    // 25006 a writing call on a hot standby
};

// Five-character SQLSTATE text, e.g. "23P01".
const char* sqlstate_code(SqlState state);

// A flat JSON object built in insertion order: {"reason": ..., "table_id": ...}.
class ErrorDetail {
public:
    explicit ErrorDetail(std::string reason);
    ErrorDetail& add(const std::string& key, const std::string& value);
    ErrorDetail& add(const std::string& key, const Uuid& value);
    ErrorDetail& add(const std::string& key, long long value);
    std::string to_json() const { return fields_.to_json(); }
    const std::string& reason() const { return reason_; }

private:
    std::string reason_;
    JsonObject fields_;  // starts with "reason"
};

class AllocatorError : public std::runtime_error {
public:
    AllocatorError(SqlState state, const std::string& message, ErrorDetail detail, std::string hint)
        : std::runtime_error(message), state_(state), detail_(std::move(detail)), hint_(std::move(hint)) {}

    SqlState state() const { return state_; }
    const ErrorDetail& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }

private:
    SqlState state_;
    ErrorDetail detail_;
    std::string hint_;
};

}  // namespace allocator
