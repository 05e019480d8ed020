// Quote latency of the table planner (issue 11): p50 / p99 / max of plan_tables on floors of
// 20, 100 and 200 tables with dense adjacency, up to five tables per plan.
//   cmake -S . -B build/bench -DALLOCATOR_BENCH=ON && cmake --build build/bench --target planner_bench
//   build/bench/planner_bench [quotes per floor, default 2000]
// Each floor is rooms of 5 x 5 tables (the last room of the 20-table floor is 4 x 5), every
// table adjacent to its eight neighbours in the room, capacities 2-8, four in five movable; each
// quote takes a new random 30% of the tables, a party of 1-20 and a preferred room. The stress
// floors put 200 movable 4-tops in one 10 x 20 room, where a party of 19 or 20 needs five tables
// and thousands of connected sets tie on every key but the table ids.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "allocator/core/table_planner.hpp"

namespace {

using allocator::AdjacencyEdge;
using allocator::Booking;
using allocator::Flags;
using allocator::PlanRequest;
using allocator::TableInfo;
using allocator::Uuid;

Uuid make_id(std::uint8_t family, int n) {
    Uuid id;
    id.bytes[0] = family;
    // Spread the ids so id order is not the floor's reading order.
    const std::uint32_t h = static_cast<std::uint32_t>(n) * 2654435761u;
    for (int i = 0; i < 4; ++i) id.bytes[1 + i] = static_cast<std::uint8_t>(h >> (8 * i));
    id.bytes[14] = static_cast<std::uint8_t>(n >> 8);
    id.bytes[15] = static_cast<std::uint8_t>(n);
    return id;
}

struct FloorPlan {
    std::string name;
    std::vector<TableInfo> tables;
    std::vector<AdjacencyEdge> edges;
};

// Rooms of `cols` columns, filled row by row; eight-neighbour adjacency inside a room.
FloorPlan make_floor(const std::string& name, int table_count, int room_size, int cols, bool uniform,
                     std::mt19937& rng) {
    FloorPlan f{name, {}, {}};
    const int capacities[] = {2, 2, 4, 4, 4, 6, 8};
    for (int n = 0; n < table_count; ++n) {
        TableInfo t;
        t.id = make_id(0x7a, n);
        t.restaurant_id = make_id(0x5e, 1);
        t.zone_id = make_id(0x20, n / room_size);
        t.table_number = "T" + std::to_string(n);
        t.capacity = uniform ? 4 : capacities[rng() % 7];
        t.movable = uniform || rng() % 5 != 0;
        t.status = "available";
        f.tables.push_back(t);
    }
    for (int n = 0; n < table_count; ++n) {
        const int room = n / room_size;
        const int at = n % room_size;
        const int row = at / cols;
        const int col = at % cols;
        for (const auto& step : {std::pair{0, 1}, {1, -1}, {1, 0}, {1, 1}}) {
            const int r = row + step.first;
            const int c = col + step.second;
            const int m = room * room_size + r * cols + c;
            if (c < 0 || c >= cols || r * cols + c >= room_size || m >= table_count) continue;
            f.edges.push_back({f.tables[n].id, f.tables[m].id});
        }
    }
    return f;
}

struct Scenario {
    const FloorPlan* floor;
    bool adjacency;
    bool capacity_check;
    double taken_share;
    std::vector<int> parties;  // cycled
    std::string label;
    int plan_count = 5;
};

// CPU time of this thread: on a shared machine a preempted quote's wall time says nothing
// of the planner.
double thread_cpu_micros() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void run(const Scenario& s, int quotes, std::mt19937& rng) {
    const FloorPlan& f = *s.floor;
    Flags flags;
    flags.require_adjacency = s.adjacency;
    flags.capacity_check = s.capacity_check;
    std::vector<double> micros;
    std::vector<double> cpu;
    micros.reserve(quotes);
    cpu.reserve(quotes);
    long long plans = 0;
    for (int q = 0; q < quotes; ++q) {
        Booking booking;
        booking.id = make_id(0xb0, q);
        booking.restaurant_id = make_id(0x5e, 1);
        booking.party_size = s.parties[q % s.parties.size()];
        booking.window = allocator::Window{0, 7200LL * 1000000};
        booking.status = "confirmed";
        std::vector<Uuid> taken;
        for (const TableInfo& t : f.tables) {
            if (std::uniform_real_distribution<double>(0, 1)(rng) < s.taken_share) taken.push_back(t.id);
        }
        const Uuid preferred = f.tables[rng() % f.tables.size()].zone_id;
        const PlanRequest request{booking, f.tables, f.edges, taken, flags, false, preferred, 5, s.plan_count};
        const double cpu_start = thread_cpu_micros();
        const auto start = std::chrono::steady_clock::now();
        const std::vector<allocator::TablePlan> result = allocator::plan_tables(request);
        const auto stop = std::chrono::steady_clock::now();
        cpu.push_back(thread_cpu_micros() - cpu_start);
        micros.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
        plans += static_cast<long long>(result.size());
    }
    const std::string parties = s.parties.size() == 1
                                    ? std::to_string(s.parties.front())
                                    : std::to_string(s.parties.front()) + "-" + std::to_string(s.parties.back());
    std::printf(
        "%-36s %-9s %-5s %5d  wall p50 %6.1f p99 %6.1f max %7.1f  cpu p50 %6.1f p99 %6.1f max %6.1f  %.2f plans\n",
        f.name.c_str(), s.label.c_str(), parties.c_str(), quotes, percentile(micros, 0.50), percentile(micros, 0.99),
        *std::max_element(micros.begin(), micros.end()), percentile(cpu, 0.50), percentile(cpu, 0.99),
        *std::max_element(cpu.begin(), cpu.end()), static_cast<double>(plans) / quotes);
}

}  // namespace

int main(int argc, char** argv) {
    const int quotes = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
    std::mt19937 rng(20261202);
    const FloorPlan f20 = make_floor("20 tables, rooms of 5x5", 20, 25, 5, false, rng);
    const FloorPlan f100 = make_floor("100 tables, 4 rooms of 5x5", 100, 25, 5, false, rng);
    const FloorPlan f200 = make_floor("200 tables, 8 rooms of 5x5", 200, 25, 5, false, rng);
    const FloorPlan one_room = make_floor("200 movable 4-tops, one 10x20 room", 200, 200, 20, true, rng);
    const FloorPlan mixed_room = make_floor("200 mixed tables, one 10x20 room", 200, 200, 20, false, rng);
    std::vector<int> mixed;
    for (int p = 1; p <= 20; ++p) mixed.push_back(p);

    std::printf("%-36s %-9s %-5s %5s  microseconds per quote; k = 5 tables per plan, 5 plans (100 where said)\n",
                "floor", "rules", "party", "quotes");
    for (const FloorPlan* f : {&f20, &f100, &f200}) {
        run({f, true, true, 0.3, mixed, "adjacent"}, quotes, rng);
        run({f, false, true, 0.3, mixed, "any"}, quotes, rng);
    }
    run({&one_room, true, true, 0.0, {20}, "adjacent"}, quotes / 4, rng);
    run({&one_room, true, true, 0.0, {19}, "adjacent"}, quotes / 4, rng);
    run({&one_room, true, true, 0.3, {19}, "adjacent"}, quotes / 4, rng);
    run({&one_room, false, true, 0.3, {19}, "any"}, quotes / 4, rng);
    run({&one_room, true, false, 0.3, {40}, "adj,nocap"}, quotes / 4, rng);
    run({&mixed_room, true, true, 0.3, mixed, "adjacent"}, quotes / 4, rng);
    run({&f200, true, true, 0.3, mixed, "adj,100", allocator::kMaxPlansPerQuote}, quotes / 4, rng);
    run({&f200, false, true, 0.3, mixed, "any,100", allocator::kMaxPlansPerQuote}, quotes / 4, rng);
    run({&mixed_room, true, true, 0.0, {31}, "adjacent"}, quotes / 4, rng);
    run({&mixed_room, true, false, 0.3, {60}, "adj,nocap"}, quotes / 4, rng);
    run({&mixed_room, false, false, 0.3, {60}, "any,nocap"}, quotes / 4, rng);
    return 0;
}
