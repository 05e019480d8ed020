// Dining windows: half-open [start, end) intervals of PostgreSQL timestamptz values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace allocator {

// Microseconds since 2000-01-01 00:00:00 UTC: the representation of PostgreSQL's
// TimestampTz, so values cross the boundary unchanged and no time zone is involved.
using Timestamp = std::int64_t;

// PostgreSQL's '-infinity' and 'infinity' timestamps.
constexpr Timestamp kNegativeInfinity = INT64_MIN;
constexpr Timestamp kPositiveInfinity = INT64_MAX;

struct Window {
    Timestamp start = 0;
    Timestamp end = 0;

    bool overlaps(const Window& other) const { return start < other.end && other.start < end; }
    friend bool operator==(const Window& a, const Window& b) { return a.start == b.start && a.end == b.end; }
    friend bool operator!=(const Window& a, const Window& b) { return !(a == b); }

    // "[2026-11-29T19:00:00Z, 2026-11-29T21:00:00Z)" for messages and JSON details.
    std::string to_string() const;
};

// ISO 8601 in UTC with a trailing Z.
std::string format_timestamp(Timestamp ts);

// Bounds of an explicit window (p_start_at / p_end_at), a restaurant's own sense of a seating:
// it lies within [2000-01-01, 2100-01-01) UTC and lasts at most 24 hours. Timestamps far
// outside that range would block a table for millennia, and a seating longer than a day is
// a mistake, not a booking.
constexpr Timestamp kEarliestWindowStart = 0;                      // 2000-01-01T00:00:00Z
constexpr Timestamp kLatestWindowEnd = 36525LL * 86400 * 1000000;  // 2100-01-01T00:00:00Z
constexpr std::int64_t kMaxWindowMicros = 24LL * 3600 * 1000000;   // 24 hours

// Argument check for an optional explicit window: both ends or neither, both finite,
// start < end (window_empty), within [kEarliestWindowStart, kLatestWindowEnd]
// (window_out_of_range), at most kMaxWindowMicros long (window_too_long). Throws 22023.
// Returns nullopt when neither end is given (the booking's window applies).
std::optional<Window> explicit_window(std::optional<Timestamp> start, std::optional<Timestamp> end);

}  // namespace allocator
