// Small builders and assertions shared by the core's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "allocator/core/errors.hpp"
#include "allocator/core/model.hpp"
#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"

namespace allocator::test {

constexpr Timestamp kSecond = 1000000;
constexpr Timestamp kMinute = 60 * kSecond;
constexpr Timestamp kHour = 3600 * kSecond;
constexpr Timestamp kDay = 24 * kHour;

// A readable id: `family` in the first byte, `n` in the last, zeros between, so ids of one
// family share their first 15 bytes.
inline Uuid uuid(std::uint8_t family, std::uint8_t n) {
    Uuid id;
    id.bytes[0] = family;
    id.bytes[15] = n;
    return id;
}

// Id families, so a failing message tells a table from a booking at a glance.
inline Uuid table_id(std::uint8_t n) {
    return uuid(0x7a, n);
}
inline Uuid booking_id(std::uint8_t n) {
    return uuid(0xb0, n);
}
inline Uuid hold_id(std::uint8_t n) {
    return uuid(0x40, n);
}
inline Uuid zone_id(std::uint8_t n) {
    return uuid(0x20, n);
}
inline Uuid restaurant_id(std::uint8_t n) {
    return uuid(0x5e, n);
}

// [from:00, to:00) on the PostgreSQL epoch day; hours may exceed 24.
inline Window hours(int from, int to) {
    return Window{from * kHour, to * kHour};
}

inline Booking make_booking(std::uint8_t n, int party_size = 2, Window window = hours(19, 21),
                            std::string status = "confirmed") {
    Booking b;
    b.id = booking_id(n);
    b.restaurant_id = restaurant_id(1);
    b.party_size = party_size;
    b.window = window;
    b.status = std::move(status);
    return b;
}

// An available, active, movable 4-top in zone 1 of restaurant 1.
inline TableInfo make_table(std::uint8_t n, int capacity = 4) {
    TableInfo t;
    t.id = table_id(n);
    t.restaurant_id = restaurant_id(1);
    t.zone_id = zone_id(1);
    t.table_number = "T" + std::to_string(n);
    t.capacity = capacity;
    t.movable = true;
    t.active = true;
    t.status = "available";
    return t;
}

inline Occupant assignment_of(std::uint8_t booking, std::uint8_t table, Window window) {
    Occupant o;
    o.kind = Occupant::Kind::Assignment;
    o.table_id = table_id(table);
    o.booking_id = booking_id(booking);
    o.window = window;
    o.live = true;
    return o;
}

inline Occupant hold_of(std::optional<std::uint8_t> booking, std::uint8_t hold, std::uint8_t table, Window window,
                        bool live = true) {
    Occupant o;
    o.kind = Occupant::Kind::Hold;
    o.table_id = table_id(table);
    if (booking) o.booking_id = booking_id(*booking);
    o.hold_id = hold_id(hold);
    o.window = window;
    o.live = live;
    return o;
}

inline AdjacencyEdge edge(std::uint8_t a, std::uint8_t b) {
    return AdjacencyEdge{table_id(a), table_id(b)};
}

// The AllocatorError `action` throws, or nullopt when it returns normally.
template <typename Action>
std::optional<AllocatorError> error_from(Action&& action) {
    try {
        std::forward<Action>(action)();
    } catch (const AllocatorError& e) {
        return e;
    }
    return std::nullopt;
}

inline ::testing::AssertionResult fails_with(const std::optional<AllocatorError>& error, SqlState state,
                                             const std::string& reason) {
    if (!error) return ::testing::AssertionFailure() << "no AllocatorError was thrown";
    if (error->state() != state || error->detail().reason() != reason) {
        return ::testing::AssertionFailure()
               << "got " << sqlstate_code(error->state()) << " " << error->detail().to_json() << " (" << error->what()
               << "), expected " << sqlstate_code(state) << " reason " << reason;
    }
    return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult contains(const std::string& haystack, const std::string& needle) {
    if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << needle << "\" not found in " << haystack;
}

// The `"key": "value"` pair as ErrorDetail::to_json writes a string field.
inline std::string json_field(const std::string& key, const std::string& value) {
    return "\"" + key + "\": \"" + value + "\"";
}

}  // namespace allocator::test
