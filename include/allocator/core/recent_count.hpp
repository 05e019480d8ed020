// How many events happened in the last N seconds, in fixed memory and without a cap: one
// 64-bit counter per second of the window. Plain data (no pointers, no constructor), so it
// can live in shared memory; all-zero bytes are an empty count.
#pragma once

#include <cstdint>

#include "allocator/core/time_window.hpp"

namespace allocator {

template <int WindowSeconds>
struct RecentCount {
    static_assert(WindowSeconds > 0, "a window of at least one second");
    // One bucket more than the window has seconds: the window's oldest second must not
    // share its bucket with the current one.
    static constexpr int kBuckets = WindowSeconds + 1;
    static constexpr Timestamp kMicros = 1000000;  // per second

    std::int64_t second[kBuckets];  // the second (Timestamp / kMicros) bucket i counts
    std::uint64_t count[kBuckets];

    static constexpr std::int64_t second_of(Timestamp at) {
        return at / kMicros - (at % kMicros < 0 ? 1 : 0);  // floor, also before 2000
    }
    static constexpr int bucket_of(std::int64_t s) { return static_cast<int>(((s % kBuckets) + kBuckets) % kBuckets); }

    void add(Timestamp at, std::uint64_t n) {
        const std::int64_t s = second_of(at);
        const int i = bucket_of(s);
        if (second[i] != s) {
            second[i] = s;  // the bucket's previous second is older than any window that reads it
            count[i] = 0;
        }
        count[i] += n;
    }

    // Events of the seconds [second_of(now) - WindowSeconds, ...]: every event at most
    // WindowSeconds old, plus those of the oldest second, which may be up to one second
    // older. Never fewer than the exact count (unless the clock stepped back over them).
    std::uint64_t total(Timestamp now) const {
        const std::int64_t oldest = second_of(now) - WindowSeconds;
        std::uint64_t sum = 0;
        for (int i = 0; i < kBuckets; ++i)
            if (count[i] != 0 && second[i] >= oldest) sum += count[i];
        return sum;
    }
};

}  // namespace allocator
