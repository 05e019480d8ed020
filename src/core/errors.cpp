#include "allocator/core/errors.hpp"

#include <cstdio>

namespace allocator {

const char* sqlstate_code(SqlState state) {
    switch (state) {
        case SqlState::InvalidParameter: return "22023";
        case SqlState::NotFound: return "P0002";
        case SqlState::CheckViolation: return "23514";
        case SqlState::ExclusionViolation: return "23P01";
        case SqlState::LockNotAvailable: return "55P03";
    }
    return "XX000";
}

std::string json_quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out += "\"";
    return out;
}

ErrorDetail::ErrorDetail(std::string reason) : reason_(std::move(reason)) {}

ErrorDetail& ErrorDetail::add(const std::string& key, const std::string& value) {
    fields_.emplace_back(key, json_quote(value));
    return *this;
}

ErrorDetail& ErrorDetail::add(const std::string& key, const Uuid& value) {
    return add(key, value.to_string());
}

ErrorDetail& ErrorDetail::add(const std::string& key, long long value) {
    fields_.emplace_back(key, std::to_string(value));
    return *this;
}

std::string ErrorDetail::to_json() const {
    std::string out = "{\"reason\": " + json_quote(reason_);
    for (const auto& [key, value] : fields_) out += ", " + json_quote(key) + ": " + value;
    out += "}";
    return out;
}

}  // namespace allocator
