// A 128-bit identifier as plain bytes: the core never sees PostgreSQL's pg_uuid_t.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace allocator {

struct Uuid {
    std::array<std::uint8_t, 16> bytes{};

    friend bool operator==(const Uuid& a, const Uuid& b) { return a.bytes == b.bytes; }
    friend bool operator!=(const Uuid& a, const Uuid& b) { return a.bytes != b.bytes; }
    friend bool operator<(const Uuid& a, const Uuid& b) { return a.bytes < b.bytes; }

    // Canonical lower-case 8-4-4-4-12 text, as PostgreSQL prints uuids.
    std::string to_string() const;
};

}  // namespace allocator
