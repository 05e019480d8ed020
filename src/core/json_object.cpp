#include "allocator/core/json_object.hpp"

#include <cstdio>

namespace allocator {

std::string json_quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
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

JsonObject& JsonObject::add(const std::string& key, const std::string& value) {
    fields_.emplace_back(key, json_quote(value));
    return *this;
}

JsonObject& JsonObject::add(const std::string& key, const Uuid& value) {
    return add(key, value.to_string());
}

JsonObject& JsonObject::add(const std::string& key, const std::optional<Uuid>& value) {
    if (value) return add(key, *value);
    fields_.emplace_back(key, "null");
    return *this;
}

JsonObject& JsonObject::add(const std::string& key, long long value) {
    fields_.emplace_back(key, std::to_string(value));
    return *this;
}

JsonObject& JsonObject::add_object(const std::string& key, const JsonObject& value) {
    fields_.emplace_back(key, value.to_json());
    return *this;
}

std::string JsonObject::to_json() const {
    std::string out = "{";
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (i > 0) out += ", ";
        out += json_quote(fields_[i].first) + ": " + fields_[i].second;
    }
    out += "}";
    return out;
}

}  // namespace allocator
