// A flat JSON object written in insertion order: error details and event contexts.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "allocator/core/uuid.hpp"

namespace allocator {

// JSON string literal with escaping (quotes included).
std::string json_quote(const std::string& text);

class JsonObject {
public:
    JsonObject& add(const std::string& key, const std::string& value);
    JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    JsonObject& add(const std::string& key, const Uuid& value);
    JsonObject& add(const std::string& key, const std::optional<Uuid>& value);  // null when empty
    JsonObject& add(const std::string& key, long long value);
    JsonObject& add_object(const std::string& key, const JsonObject& value);  // nested
    std::string to_json() const;

private:
    std::vector<std::pair<std::string, std::string>> fields_;  // key -> JSON-encoded value
};

}  // namespace allocator
