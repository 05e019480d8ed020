#include "allocator/core/time_window.hpp"

#include <cstdio>

#include "allocator/core/errors.hpp"

namespace allocator {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kSecondsPerDay = 86400;
// Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
constexpr std::int64_t kPostgresEpochDays = 10957;

// Howard Hinnant's civil_from_days: proleptic Gregorian date of a day count since 1970-01-01.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

}  // namespace

std::string format_timestamp(Timestamp ts) {
    const std::int64_t total_seconds = floor_div(ts, kMicrosPerSecond);
    const std::int64_t days = floor_div(total_seconds, kSecondsPerDay);
    const std::int64_t second_of_day = total_seconds - days * kSecondsPerDay;
    std::int64_t year = 0;
    unsigned month = 0;
    unsigned day = 0;
    civil_from_days(days + kPostgresEpochDays, year, month, day);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(year), month, day,
                  static_cast<long long>(second_of_day / 3600), static_cast<long long>(second_of_day / 60 % 60),
                  static_cast<long long>(second_of_day % 60));
    return buf;
}

std::string Window::to_string() const {
    return "[" + format_timestamp(start) + ", " + format_timestamp(end) + ")";
}

std::optional<Window> explicit_window(std::optional<Timestamp> start, std::optional<Timestamp> end) {
    if (!start && !end) return std::nullopt;
    if (!start || !end) {
        throw AllocatorError(SqlState::InvalidParameter, "p_start_at and p_end_at must be given together",
                             ErrorDetail("window_incomplete"),
                             "Pass both ends of the window, or neither to use the booking's own.");
    }
    if (*start == kNegativeInfinity || *start == kPositiveInfinity || *end == kNegativeInfinity ||
        *end == kPositiveInfinity) {
        throw AllocatorError(SqlState::InvalidParameter, "window ends must be finite timestamps",
                             ErrorDetail("window_not_finite"),
                             "A table is seated for a bounded time; pass real start and end times.");
    }
    if (*start >= *end) {
        throw AllocatorError(
            SqlState::InvalidParameter, "window start must be before its end",
            ErrorDetail("window_empty").add("start_at", format_timestamp(*start)).add("end_at", format_timestamp(*end)),
            "Windows are half-open [start, end); pass a start earlier than the end.");
    }
    if (*start < kEarliestWindowStart || *end > kLatestWindowEnd) {
        throw AllocatorError(SqlState::InvalidParameter,
                             "window " + Window{*start, *end}.to_string() + " is outside " +
                                 Window{kEarliestWindowStart, kLatestWindowEnd}.to_string(),
                             ErrorDetail("window_out_of_range")
                                 .add("start_at", format_timestamp(*start))
                                 .add("end_at", format_timestamp(*end))
                                 .add("earliest_start_at", format_timestamp(kEarliestWindowStart))
                                 .add("latest_end_at", format_timestamp(kLatestWindowEnd)),
                             "Pass a window between 2000-01-01 and 2100-01-01 (UTC).");
    }
    if (*end - *start > kMaxWindowMicros) {
        throw AllocatorError(SqlState::InvalidParameter,
                             "window " + Window{*start, *end}.to_string() + " is longer than 24 hours",
                             ErrorDetail("window_too_long")
                                 .add("start_at", format_timestamp(*start))
                                 .add("end_at", format_timestamp(*end))
                                 .add("max_hours", static_cast<long long>(kMaxWindowMicros / 3600000000LL)),
                             "A table is seated for at most a day; assign each day separately.");
    }
    return Window{*start, *end};
}

}  // namespace allocator
