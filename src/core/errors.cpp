#include "allocator/core/errors.hpp"

namespace allocator {

const char* sqlstate_code(SqlState state) {
    switch (state) {
        case SqlState::InvalidParameter:
            return "22023";
        case SqlState::NotFound:
            return "P0002";
        case SqlState::CheckViolation:
            return "23514";
        case SqlState::ExclusionViolation:
            return "23P01";
        case SqlState::LockNotAvailable:
            return "55P03";
        case SqlState::InsufficientPrivilege:
            return "42501";
        case SqlState::ReadOnlyTransaction:
            return "25006";
    }
    return "XX000";
}

ErrorDetail::ErrorDetail(std::string reason) : reason_(std::move(reason)) {
    fields_.add("reason", reason_);
}

ErrorDetail& ErrorDetail::add(const std::string& key, const std::string& value) {
    fields_.add(key, value);
    return *this;
}

ErrorDetail& ErrorDetail::add(const std::string& key, const Uuid& value) {
    fields_.add(key, value);
    return *this;
}

ErrorDetail& ErrorDetail::add(const std::string& key, long long value) {
    fields_.add(key, value);
    return *this;
}

}  // namespace allocator
