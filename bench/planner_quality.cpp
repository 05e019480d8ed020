// Plan quality of the table planner (issue 11), in memory: simulated evenings seated by
// plan_tables, as auto_assign_booking seats them, and by a naive first fit, side by side.
//   cmake -S . -B build/bench -DALLOCATOR_BENCH=ON && cmake --build build/bench --target planner_quality
//   build/bench/planner_quality [seeds, default 40] [tables per plan, default 2] [first seed, default 1]
// The evening of bench/auto_assign_setup.sql's bench.quality, with its own random numbers: a
// 40-table floor (two zones of 20, capacities 2, 2, 4, 4, 6, 8 over and over, one table in ten
// fixed), 300 bookings of 1-10 guests starting 17:00-22:30 on the half hour for two hours, in
// random arrival order. First fit takes the first free table by number that seats the party,
// else the first free pair of movable tables of one zone. The SQL benchmark is the measure of
// record; this one is what the ranking's keys 5 and 6 were chosen on, quickly.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "allocator/core/table_planner.hpp"

namespace {

using namespace allocator;

constexpr Timestamp kHalfHour = 1800LL * 1000000;
constexpr int kTables = 40;

Uuid random_id(std::mt19937_64& rng) {
    Uuid id;
    for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng());
    return id;
}

struct Booked {
    int party;
    Window window;
    double arrival;
    Uuid id;
};

struct Result {
    int seated = 0;
    int empty_seats = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const int seeds = argc > 1 ? std::atoi(argv[1]) : 40;
    const int max_tables = argc > 2 ? std::atoi(argv[2]) : 2;
    const int first = argc > 3 ? std::atoi(argv[3]) : 1;
    int worse = 0;
    long long total[2] = {0, 0};
    std::printf("seed  auto seated / empty seats   first fit seated / empty seats\n");
    for (int seed = first; seed < first + seeds; ++seed) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(static_cast<unsigned>(seed) * 7919u));
        const Uuid restaurant = random_id(rng);
        const Uuid zones[2] = {random_id(rng), random_id(rng)};
        std::vector<TableInfo> tables;
        for (int i = 0; i < kTables; ++i) {
            TableInfo t;
            t.id = random_id(rng);
            t.restaurant_id = restaurant;
            t.zone_id = zones[i / 20];
            t.capacity = std::vector<int>{2, 2, 4, 4, 6, 8}[i % 6];
            t.movable = i % 10 != 9;
            t.status = "available";
            t.table_number = std::to_string(i);
            tables.push_back(t);
        }
        std::uniform_real_distribution<double> unit(0, 1);
        std::vector<Booked> bookings;
        for (int i = 0; i < 300; ++i) {
            const int party = 1 + static_cast<int>(unit(rng) * 10);
            const Timestamp start = (34 + static_cast<int>(unit(rng) * 12)) * kHalfHour;
            bookings.push_back({party, Window{start, start + 4 * kHalfHour}, unit(rng), random_id(rng)});
        }
        std::sort(bookings.begin(), bookings.end(),
                  [](const Booked& a, const Booked& b) { return a.arrival < b.arrival; });

        Result result[2];
        for (int strategy = 0; strategy < 2; ++strategy) {
            std::vector<Occupant> seated;  // assignments so far
            for (const Booked& b : bookings) {
                auto busy = [&](const Uuid& table) {
                    return std::any_of(seated.begin(), seated.end(), [&](const Occupant& o) {
                        return o.table_id == table && o.window.overlaps(b.window);
                    });
                };
                std::vector<int> chosen;
                if (strategy == 0) {
                    std::vector<Uuid> taken;
                    for (const TableInfo& t : tables)
                        if (busy(t.id)) taken.push_back(t.id);
                    const Booking booking{b.id, restaurant, b.party, b.window, "confirmed", std::nullopt};
                    const Flags flags;
                    const std::vector<AdjacencyEdge> edges;
                    const std::vector<TablePlan> plans = plan_tables(PlanRequest{
                        booking, tables, edges, taken, flags, false, std::nullopt, max_tables, 1, &seated, b.window});
                    for (const Uuid& id : plans.empty() ? std::vector<Uuid>{} : plans.front().tables) {
                        for (int i = 0; i < kTables; ++i)
                            if (tables[i].id == id) chosen.push_back(i);
                    }
                } else {
                    for (int i = 0; i < kTables && chosen.empty(); ++i)
                        if (!busy(tables[i].id) && tables[i].capacity >= b.party) chosen = {i};
                    for (int i = 0; i < kTables && chosen.empty(); ++i) {
                        for (int j = i + 1; j < kTables && chosen.empty(); ++j) {
                            const TableInfo& x = tables[i];
                            const TableInfo& y = tables[j];
                            if (x.zone_id == y.zone_id && x.movable && y.movable && !busy(x.id) && !busy(y.id) &&
                                x.capacity + y.capacity >= b.party)
                                chosen = {i, j};
                        }
                    }
                }
                if (chosen.empty()) continue;
                int seats = 0;
                for (const int i : chosen) {
                    Occupant o;
                    o.table_id = tables[i].id;
                    o.booking_id = b.id;
                    o.window = b.window;
                    seated.push_back(o);
                    seats += tables[i].capacity;
                }
                ++result[strategy].seated;
                result[strategy].empty_seats += seats - b.party;
            }
            total[strategy] += result[strategy].seated;
        }
        worse += result[0].seated < result[1].seated ? 1 : 0;
        std::printf("%4d  %11d / %-11d   %16d / %d   %+d\n", seed, result[0].seated, result[0].empty_seats,
                    result[1].seated, result[1].empty_seats, result[0].seated - result[1].seated);
    }
    std::printf("%d seeds, %d tables per plan: auto-assign seated %lld, first fit %lld; fewer on %d seeds\n", seeds,
                max_tables, total[0], total[1], worse);
    return 0;
}
