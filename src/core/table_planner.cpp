#include "allocator/core/table_planner.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "allocator/core/allocation_rules.hpp"
#include "allocator/core/errors.hpp"
#include "allocator/core/json_object.hpp"

// The search, in short. Single tables are scored one by one. Merges are searched zone by
// zone (a plan never spans two zones) over the zone's free movable tables, numbered in id
// order: each set is generated once, from its lowest table (the seed), by growing a
// connected set (Wernicke's ESU: a table joins only through a neighbour that no earlier
// member already offered) when adjacency is required, or as an ascending combination when
// not. The best `plan_count` plans found so far are kept, and a branch is cut as soon as no
// set it can still produce could enter them. The bound comes from the seat sums that adding
// j more tables can reach (SeatReach, computed once per zone over the tables a branch may
// still add, ignoring connectivity), so a branch that can no longer seat the party is cut, and
// so is a covering set's growth once the kept plans leave fewer seats over (more tables only
// add seats). Ties on keys 1-4 are cut by key 5: every set of a seed begins with the seed's
// id, so once the kept plans tie with what a seed can offer, the later seeds stop at once.

namespace allocator {

namespace {

using Word = std::uint64_t;
constexpr int kWordBits = 64;

// A Uuid as two big-endian words: Uuid's own order (bytes first to last) in two integer
// comparisons, for the sorts and look-ups over every table and edge of a floor.
struct IdKey {
    std::uint64_t high = 0;
    std::uint64_t low = 0;

    explicit IdKey(const Uuid& id) {
        std::memcpy(&high, id.bytes.data(), 8);
        std::memcpy(&low, id.bytes.data() + 8, 8);
        high = __builtin_bswap64(high);
        low = __builtin_bswap64(low);
    }
    friend bool operator<(const IdKey& a, const IdKey& b) { return a.high != b.high ? a.high < b.high : a.low < b.low; }
    friend bool operator==(const IdKey& a, const IdKey& b) { return a.high == b.high && a.low == b.low; }
};

// Position of an id in a list of distinct ids, by open addressing: the look-up of both ends
// of every adjacency edge.
class IdIndex {
public:
    explicit IdIndex(const std::vector<IdKey>& keys) : keys_(keys) {
        std::size_t size = 16;
        while (size < 2 * keys.size()) size <<= 1;
        mask_ = size - 1;
        slots_.assign(size, -1);
        for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
            std::size_t slot = hash(keys[i]);
            while (slots_[slot] >= 0) slot = (slot + 1) & mask_;
            slots_[slot] = i;
        }
    }

    int find(const IdKey& key) const {
        for (std::size_t slot = hash(key);; slot = (slot + 1) & mask_) {
            if (slots_[slot] < 0 || keys_[slots_[slot]] == key) return slots_[slot];
        }
    }

private:
    std::size_t hash(const IdKey& key) const {
        return static_cast<std::size_t>(((key.high * 0x9E3779B97F4A7C15ULL) ^ key.low) * 0xC2B2AE3D27D4EB4FULL >> 32) &
               mask_;
    }

    const std::vector<IdKey>& keys_;
    std::size_t mask_ = 0;
    std::vector<int> slots_;
};

// Rank keys 1-6 of the header; key 7 (table ids) is compared on the id lists. A branch's
// bound leaves keys 5 and 6 at 0, their least.
struct Key {
    int seats_short = 0;
    int seats_left_over = 0;
    int table_count = 0;
    int zone_rank = 0;
    int idle_gap = 0;
    int crowding = 0;
};

auto key_tuple(const Key& k) {
    return std::tie(k.seats_short, k.seats_left_over, k.table_count, k.zone_rank, k.idle_gap, k.crowding);
}

constexpr std::int64_t kMicrosPerMinute = 60LL * 1000000;
constexpr std::int64_t kDayMicros = 24LL * 60 * kMicrosPerMinute;

// Keys 5 and 6 of one table, from the free time on either side of the window.
struct TableGaps {
    int idle_gap = 0;
    int crowding = 0;
};

// Keys 5 and 6 of each candidate (sorted by id), in one pass over the nearby occupants.
std::vector<TableGaps> gaps_of(const std::vector<const TableInfo*>& candidates, const PlanRequest& in) {
    std::vector<TableGaps> gaps(candidates.size());
    if (in.nearby == nullptr) return gaps;
    const Window& w = in.window;
    std::vector<std::int64_t> before(candidates.size(), kDayMicros);
    std::vector<std::int64_t> after(candidates.size(), kDayMicros);
    for (const Occupant& o : *in.nearby) {
        if (!o.live || o.window.overlaps(w) || (o.booking_id && *o.booking_id == in.booking.id)) continue;
        const auto it = std::lower_bound(candidates.begin(), candidates.end(), o.table_id,
                                         [](const TableInfo* t, const Uuid& id) { return t->id < id; });
        if (it == candidates.end() || (*it)->id != o.table_id) continue;
        const std::size_t i = static_cast<std::size_t>(it - candidates.begin());
        if (o.window.end <= w.start) before[i] = std::min(before[i], w.start - o.window.end);
        if (o.window.start >= w.end) after[i] = std::min(after[i], o.window.start - w.end);
    }
    const std::int64_t length = w.end - w.start;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const std::int64_t idle = (before[i] < length ? before[i] : 0) + (after[i] < length ? after[i] : 0);
        gaps[i].idle_gap = static_cast<int>(idle / kMicrosPerMinute);
        gaps[i].crowding = static_cast<int>((2 * kDayMicros - before[i] - after[i]) / kMicrosPerMinute);
    }
    return gaps;
}

bool key_less(const Key& a, const Key& b) {
    return key_tuple(a) < key_tuple(b);
}

// Seat sums saturate at INT_MAX: the schema bounds neither capacities nor party sizes, and
// five tables of two billion seats each would overflow an int. A saturated sum seats every
// party, and plans past it tie on the seats they leave over (reported as INT_MAX - party).
int add_seats(int seats, int more) {
    return static_cast<int>(std::min<long long>(static_cast<long long>(seats) + more, INT_MAX));
}

Key key_for(int party, int seats, int table_count, int zone_rank) {
    return Key{std::max(0, party - seats), std::max(0, seats - party), table_count, zone_rank};
}

// A plan found by the search; ids index the sorted candidate tables, so comparing them
// compares table ids.
struct Found {
    Key key;
    std::array<int, kMaxTablesPerPlan> ids{};  // ascending
    int size = 0;
    int seats = 0;
};

bool ids_less(const int* a, int a_size, const int* b, int b_size) {
    return std::lexicographical_compare(a, a + a_size, b, b + b_size);
}

bool ranks_before(const Found& a, const Found& b) {
    if (key_less(a.key, b.key)) return true;
    if (key_less(b.key, a.key)) return false;
    return ids_less(a.ids.data(), a.size, b.ids.data(), b.size);
}

// The best `limit` plans so far, best first.
class TopPlans {
public:
    explicit TopPlans(std::size_t limit) : limit_(limit) { plans_.reserve(limit + 1); }

    // Whether a plan with keys `key` whose sorted ids begin with `prefix` could still enter.
    bool admits(const Key& key, const int* prefix, int prefix_size) const {
        if (plans_.size() < limit_) return true;
        const Found& worst = plans_.back();
        if (key_less(key, worst.key)) return true;
        if (key_less(worst.key, key)) return false;
        // Every id list that begins with `prefix` sorts at or after it.
        return !ids_less(worst.ids.data(), worst.size, prefix, prefix_size);
    }

    void offer(const Found& plan) {
        if (plans_.size() >= limit_ && !ranks_before(plan, plans_.back())) return;
        plans_.insert(std::upper_bound(plans_.begin(), plans_.end(), plan, ranks_before), plan);
        if (plans_.size() > limit_) plans_.pop_back();
    }

    const std::vector<Found>& plans() const { return plans_; }

private:
    std::size_t limit_;
    std::vector<Found> plans_;
};

// For a zone's movable tables in search order, the seat sums that exactly j tables taken
// from positions p.. can reach (j < max_tables), as bit sets: the relaxation that bounds a
// branch. Sums past `limit_` (the party plus the largest table, or all the zone can seat
// when that is less) are dropped: j tables past it hold j - 1 that still seat the party with
// fewer seats over, so the bound's best never came from them; that keeps the sets small.
class SeatReach {
public:
    SeatReach(const std::vector<int>& caps, int max_add, int party) : sets_(max_add + 1) {
        std::vector<int> sorted(caps);
        std::sort(sorted.rbegin(), sorted.rend());
        long long top = 0;
        for (int i = 0; i < max_add && i < static_cast<int>(sorted.size()); ++i) top += sorted[i];
        const long long biggest = sorted.empty() ? 0 : sorted.front();
        const long long limit = std::min<long long>(std::max(party, 0), top) + biggest;
        const long long positions = static_cast<long long>(caps.size()) + 1;
        const long long words = limit / kWordBits + 1;
        // A floor of absurd capacities gets no sets; its bound is then the table count alone.
        if (words * positions * sets_ > kMaxWords) return;
        limit_ = static_cast<int>(limit);
        words_ = static_cast<int>(words);
        bits_.assign(static_cast<std::size_t>(positions * sets_ * words_), 0);

        // From the last position down: the sets at p are those at p + 1 with table p added.
        Word* last = row(static_cast<int>(caps.size()), 0);
        last[0] = 1;  // no table, no seats
        for (int p = static_cast<int>(caps.size()) - 1; p >= 0; --p) {
            std::copy(row(p + 1, 0), row(p + 1, 0) + static_cast<std::ptrdiff_t>(sets_) * words_, row(p, 0));
            for (int j = 1; j < sets_; ++j) add_shifted(row(p + 1, j - 1), row(p, j), std::min(caps[p], limit_));
        }
    }

    bool exact() const { return limit_ >= 0; }

    // The smallest sum >= x that j tables from positions p.. reach, or -1.
    int at_least(int p, int j, int x) const {
        if (x > limit_) return -1;
        x = std::max(x, 0);
        const Word* bits = row(p, j);
        int w = x / kWordBits;
        Word word = bits[w] & (~Word{0} << (x % kWordBits));
        while (word == 0) {
            if (++w == words_) return -1;
            word = bits[w];
        }
        return w * kWordBits + __builtin_ctzll(word);
    }

    // The largest sum j tables from positions p.. reach, or -1 when there are fewer tables.
    int most(int p, int j) const {
        const Word* bits = row(p, j);
        for (int w = words_ - 1; w >= 0; --w) {
            if (bits[w] != 0) return w * kWordBits + kWordBits - 1 - __builtin_clzll(bits[w]);
        }
        return -1;
    }

private:
    static constexpr long long kMaxWords = 1 << 18;

    Word* row(int p, int j) { return &bits_[(static_cast<std::size_t>(p) * sets_ + j) * words_]; }
    const Word* row(int p, int j) const { return &bits_[(static_cast<std::size_t>(p) * sets_ + j) * words_]; }

    // to |= from shifted up by `shift` seats, sums past the limit dropped.
    void add_shifted(const Word* from, Word* to, int shift) const {
        const int whole = shift / kWordBits;
        const int part = shift % kWordBits;
        for (int w = words_ - 1; w >= whole; --w) {
            Word moved = from[w - whole] << part;
            if (part != 0 && w - whole > 0) moved |= from[w - whole - 1] >> (kWordBits - part);
            to[w] |= moved;
        }
        const int top_bits = limit_ % kWordBits + 1;
        if (top_bits < kWordBits) to[words_ - 1] &= (Word{1} << top_bits) - 1;
    }

    int sets_;  // j = 0 .. max_add
    int limit_ = -1;
    int words_ = 0;
    std::vector<Word> bits_;  // [p][j][word]
};

// A zone's free movable tables: the ground a merge is searched on.
struct Zone {
    Uuid id;
    int rank = 0;
    std::vector<int> members;  // candidate indices, ascending
    std::vector<int> caps;
    int words = 0;
    std::vector<Word> adjacency;  // per member, `words` words: neighbours by member position
    std::optional<SeatReach> reach;
};

class Search {
public:
    Search(const PlanRequest& in, const std::vector<const TableInfo*>& candidates, int max_tables)
        : in_(in),
          candidates_(candidates),
          max_tables_(max_tables),
          top_(in.plan_count),
          gaps_(gaps_of(candidates, in)) {}

    void singles(const std::optional<Uuid>& target_zone) {
        for (int i = 0; i < static_cast<int>(candidates_.size()); ++i) {
            const TableInfo& t = *candidates_[i];
            Found plan;
            plan.key = key_for(in_.booking.party_size, t.capacity, 1, zone_rank(t.zone_id, target_zone));
            if (in_.flags.capacity_check && plan.key.seats_short > 0) continue;
            plan.key.idle_gap = gaps_[i].idle_gap;
            plan.key.crowding = gaps_[i].crowding;
            plan.ids[0] = i;
            plan.size = 1;
            plan.seats = t.capacity;
            top_.offer(plan);
        }
    }

    void merges(const Zone& zone, bool connected) {
        zone_ = &zone;
        const int words = zone.words;
        ext_.assign(static_cast<std::size_t>(max_tables_ + 1) * words, 0);
        excl_.assign(ext_.size(), 0);
        for (int seed = 0; seed < static_cast<int>(zone.members.size()); ++seed) {
            seed_ = seed;
            chosen_[0] = seed;
            const int seats = zone.caps[seed];
            const int prefix = zone.members[seed];
            if (!admits_branch(seed + 1, 1, seats, 1, &prefix, 1)) continue;
            if (!connected) {
                grow_any(1, seats);
                continue;
            }
            // Level 1: every table up to the seed is excluded, so a set only grows upwards.
            Word* ext = &ext_[words];
            Word* excl = &excl_[words];
            const Word* row = &zone.adjacency[static_cast<std::size_t>(seed) * words];
            for (int w = 0; w < words; ++w) {
                const int low_bits = std::min(std::max(seed + 1 - w * kWordBits, 0), kWordBits);
                const Word low = low_bits == kWordBits ? ~Word{0} : (Word{1} << low_bits) - 1;
                excl[w] = low | row[w];
                ext[w] = row[w] & ~low;
            }
            grow_connected(1, seats);
        }
    }

    const std::vector<Found>& plans() const { return top_.plans(); }

    // Whether any merge could still enter the kept plans: the best a merge can rank is two
    // tables that seat the party exactly in the target zone. Once the singles fill the plans
    // with better (a table that fits the party exactly, the usual case), no zone's merge
    // ground is worth building.
    bool merges_could_enter() const { return top_.admits(Key{0, 0, 2, 0}, nullptr, 0); }

    static int zone_rank(const Uuid& zone, const std::optional<Uuid>& target_zone) {
        return target_zone && *target_zone != zone ? 1 : 0;
    }

private:
    // Connected sets: chosen_[0..count) with the level's extension and exclusion sets.
    void grow_connected(int count, int seats) {
        const Zone& z = *zone_;
        const int words = z.words;
        Word* ext = &ext_[static_cast<std::size_t>(count) * words];
        const Word* excl = &excl_[static_cast<std::size_t>(count) * words];
        Word* next_ext = ext + words;
        Word* next_excl = &excl_[static_cast<std::size_t>(count + 1) * words];
        const int prefix = z.members[seed_];
        for (int wi = 0; wi < words; ++wi) {
            while (ext[wi] != 0) {
                const int member = wi * kWordBits + __builtin_ctzll(ext[wi]);
                ext[wi] &= ext[wi] - 1;
                chosen_[count] = member;
                const int with = add_seats(seats, z.caps[member]);
                offer(count + 1, with);
                if (count + 1 >= max_tables_ || !admits_branch(seed_ + 1, count + 1, with, 1, &prefix, 1)) continue;
                const Word* row = &z.adjacency[static_cast<std::size_t>(member) * words];
                for (int w = 0; w < words; ++w) {
                    next_excl[w] = excl[w] | row[w];
                    next_ext[w] = ext[w] | (row[w] & ~excl[w]);
                }
                grow_connected(count + 1, with);
            }
        }
    }

    // Any sets: ascending combinations, so chosen_ is itself the prefix of every set below.
    void grow_any(int count, int seats) {
        if (count < 1 || count >= kMaxTablesPerPlan) return;  // callers stay below max_tables_
        const Zone& z = *zone_;
        std::array<int, kMaxTablesPerPlan> prefix{};
        for (int i = 0; i < count; ++i) prefix[i] = z.members[chosen_[i]];
        for (int member = chosen_[count - 1] + 1; member < static_cast<int>(z.members.size()); ++member) {
            chosen_[count] = member;
            prefix[count] = z.members[member];
            const int with = add_seats(seats, z.caps[member]);
            offer(count + 1, with);
            if (count + 1 < max_tables_ && admits_branch(member + 1, count + 1, with, 1, prefix.data(), count + 1)) {
                grow_any(count + 1, with);
            }
        }
    }

    void offer(int count, int seats) {
        Key key = key_for(in_.booking.party_size, seats, count, zone_->rank);
        if (in_.flags.capacity_check && key.seats_short > 0) return;
        if (!top_.admits(key, nullptr, 0)) return;  // keys 5 and 6 only add
        Found plan;
        for (int i = 0; i < count; ++i) {
            plan.ids[i] = zone_->members[chosen_[i]];
            key.idle_gap += gaps_[plan.ids[i]].idle_gap;
            key.crowding += gaps_[plan.ids[i]].crowding;
        }
        plan.key = key;
        plan.size = count;
        plan.seats = seats;
        std::sort(plan.ids.begin(), plan.ids.begin() + count);
        top_.offer(plan);
    }

    // Whether a set that adds at least `min_add` tables, drawn from member positions
    // `from`.., to `count` chosen tables of `seats` seats could enter the kept plans. The
    // best keys such a set can have come from SeatReach: a lower bound, since it ignores
    // connectivity and which tables are already chosen. Every j is tried: more tables may
    // leave fewer seats over (a 6 and a 4 for ten beat a 12-top).
    bool admits_branch(int from, int count, int seats, int min_add, const int* prefix, int prefix_size) const {
        const Zone& z = *zone_;
        const int party = in_.booking.party_size;
        const int max_add = max_tables_ - count;
        if (!z.reach->exact()) {
            return max_add >= min_add && top_.admits(Key{0, 0, count + min_add, z.rank}, prefix, prefix_size);
        }
        std::optional<Key> best;
        for (int j = min_add; j <= max_add; ++j) {
            int added = z.reach->at_least(from, j, party - seats);
            if (added < 0) added = z.reach->most(from, j);  // short of the party
            if (added < 0) break;                           // fewer tables left than j
            const Key key = key_for(party, add_seats(seats, added), count + j, z.rank);
            if (in_.flags.capacity_check && key.seats_short > 0) continue;
            if (!best || key_less(key, *best)) best = key;
        }
        return best && top_.admits(*best, prefix, prefix_size);
    }

    const PlanRequest& in_;
    const std::vector<const TableInfo*>& candidates_;
    int max_tables_;
    TopPlans top_;
    const Zone* zone_ = nullptr;
    int seed_ = 0;
    std::array<int, kMaxTablesPerPlan> chosen_{};  // member positions of the set being grown
    std::vector<Word> ext_;                        // per level: members that may join next
    std::vector<Word> excl_;                       // per level: members and their neighbours
    std::vector<TableGaps> gaps_;                  // per candidate: keys 5 and 6 (after top_)
};

[[noreturn]] void throw_out_of_range(const char* reason, const char* what, int value, int max) {
    throw AllocatorError(
        SqlState::InvalidParameter,
        std::string(what) + " must be between 1 and " + std::to_string(max) + ", not " + std::to_string(value),
        ErrorDetail(reason).add(what, static_cast<long long>(value)).add("max", max),
        std::string("Pass a ") + what + " between 1 and " + std::to_string(max) + ".");
}

// The restaurant's tables a plan may use, sorted by id, the first row of an id kept (as
// check_table_set reads them).
std::vector<const TableInfo*> candidate_tables(const PlanRequest& in) {
    std::vector<std::pair<IdKey, const TableInfo*>> rows;
    rows.reserve(in.tables.size());
    for (const TableInfo& t : in.tables) rows.emplace_back(IdKey(t.id), &t);
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    rows.erase(std::unique(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               rows.end());

    std::vector<IdKey> taken;
    taken.reserve(in.taken.size());
    for (const Uuid& id : in.taken) taken.emplace_back(id);
    std::sort(taken.begin(), taken.end());
    const std::optional<Uuid>& pin = in.booking.assigned_zone_id;
    std::vector<const TableInfo*> out;
    out.reserve(rows.size());
    for (const auto& [key, t] : rows) {
        if (t->restaurant_id != in.booking.restaurant_id || !t->active || t->status == "out_of_service") continue;
        if (pin && t->zone_id != *pin) continue;
        if (std::binary_search(taken.begin(), taken.end(), key)) continue;
        out.push_back(t);
    }
    return out;
}

// Both ends of every edge as candidate indices, -1 for a table that is not a candidate.
std::vector<std::pair<int, int>> edge_ends(const PlanRequest& in, const std::vector<const TableInfo*>& candidates) {
    std::vector<IdKey> keys;
    keys.reserve(candidates.size());
    for (const TableInfo* t : candidates) keys.emplace_back(t->id);
    const IdIndex index(keys);
    std::vector<std::pair<int, int>> ends;
    ends.reserve(in.edges.size());
    for (const AdjacencyEdge& e : in.edges) ends.emplace_back(index.find(IdKey(e.a)), index.find(IdKey(e.b)));
    return ends;
}

// The edges that touch each candidate, in input order: all that check_table_set needs of
// the edges to judge a plan, since tables_connected ignores an edge with an end outside it.
class EdgesTouching {
public:
    EdgesTouching(const std::vector<std::pair<int, int>>& ends, std::size_t candidates) : start_(candidates + 2, 0) {
        for (const auto& [a, b] : ends) {
            if (a >= 0) ++start_[a + 2];
            if (b >= 0 && b != a) ++start_[b + 2];
        }
        for (std::size_t i = 2; i < start_.size(); ++i) start_[i] += start_[i - 1];
        edges_.resize(start_.back());
        for (int e = 0; e < static_cast<int>(ends.size()); ++e) {
            const auto [a, b] = ends[e];
            if (a >= 0) edges_[start_[a + 1]++] = e;
            if (b >= 0 && b != a) edges_[start_[b + 1]++] = e;
        }
    }

    std::vector<AdjacencyEdge> of(const Found& plan, const std::vector<AdjacencyEdge>& edges) const {
        std::vector<AdjacencyEdge> out;
        for (int i = 0; i < plan.size; ++i) {
            for (int k = start_[plan.ids[i]]; k < start_[plan.ids[i] + 1]; ++k) out.push_back(edges[edges_[k]]);
        }
        return out;
    }

private:
    std::vector<int> start_;  // candidate i's edges are edges_[start_[i] .. start_[i + 1])
    std::vector<int> edges_;
};

// The zones' merge grounds, the target zone's first.
std::vector<Zone> merge_zones(const PlanRequest& in, const std::vector<const TableInfo*>& candidates,
                              const std::vector<std::pair<int, int>>& ends, int max_tables,
                              const std::optional<Uuid>& target_zone) {
    std::vector<Zone> zones;
    std::vector<std::pair<int, int>> place(candidates.size(), {-1, -1});  // zone, member position
    for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
        const TableInfo& t = *candidates[i];
        if (!t.movable) continue;
        auto it = std::find_if(zones.begin(), zones.end(), [&](const Zone& z) { return z.id == t.zone_id; });
        if (it == zones.end()) {
            zones.emplace_back();
            zones.back().id = t.zone_id;
            zones.back().rank = Search::zone_rank(t.zone_id, target_zone);
            it = zones.end() - 1;
        }
        place[i] = {static_cast<int>(it - zones.begin()), static_cast<int>(it->members.size())};
        it->members.push_back(i);
        it->caps.push_back(t.capacity);
    }
    for (Zone& z : zones) {
        z.words = (static_cast<int>(z.members.size()) + kWordBits - 1) / kWordBits;
        z.adjacency.assign(z.members.size() * z.words, 0);
        z.reach.emplace(z.caps, max_tables - 1, in.booking.party_size);
    }
    for (const auto& [a, b] : ends) {
        if (a < 0 || b < 0 || a == b || place[a].first < 0 || place[a].first != place[b].first) continue;
        Zone& z = zones[place[a].first];
        const int pa = place[a].second;
        const int pb = place[b].second;
        z.adjacency[static_cast<std::size_t>(pa) * z.words + pb / kWordBits] |= Word{1} << (pb % kWordBits);
        z.adjacency[static_cast<std::size_t>(pb) * z.words + pa / kWordBits] |= Word{1} << (pa % kWordBits);
    }
    std::stable_sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) { return a.rank < b.rank; });
    return zones;
}

const char* first_difference(const Found& behind, const Found& ahead) {
    if (behind.key.seats_short != ahead.key.seats_short) return "seats_short";
    if (behind.key.seats_left_over != ahead.key.seats_left_over) return "seats_left_over";
    if (behind.key.table_count != ahead.key.table_count) return "table_count";
    if (behind.key.zone_rank != ahead.key.zone_rank) return "zone";
    if (behind.key.idle_gap != ahead.key.idle_gap) return "idle_gap";
    if (behind.key.crowding != ahead.key.crowding) return "crowding";
    return "table_ids";
}

}  // namespace

std::vector<Uuid> taken_tables(const Uuid& booking_id, const Window& window, const std::vector<Occupant>& occupants,
                               PlanPurpose purpose) {
    std::vector<Uuid> taken;
    for (const Occupant& o : occupants) {
        const bool blocks = purpose == PlanPurpose::Assignment ? blocks_assignment(o, booking_id, window)
                                                               : blocks_hold(o, booking_id, window);
        if (blocks) taken.push_back(o.table_id);
    }
    std::sort(taken.begin(), taken.end());
    taken.erase(std::unique(taken.begin(), taken.end()), taken.end());
    return taken;
}

std::string PlanRank::to_json() const {
    JsonObject json;
    json.add("position", static_cast<long long>(position))
        .add("seats_short", static_cast<long long>(seats_short))
        .add("seats_left_over", static_cast<long long>(seats_left_over))
        .add("table_count", static_cast<long long>(table_count))
        .add("zone_rank", static_cast<long long>(zone_rank))
        .add("idle_gap_minutes", static_cast<long long>(idle_gap_minutes))
        .add("crowding_minutes", static_cast<long long>(crowding_minutes));
    if (!behind_previous_by.empty()) json.add("behind_previous_by", behind_previous_by);
    return json.to_json();
}

void check_plan_limits(int max_tables, int plan_count) {
    if (max_tables < 1 || max_tables > kMaxTablesPerPlan) {
        throw_out_of_range("max_tables_out_of_range", "max_tables", max_tables, kMaxTablesPerPlan);
    }
    if (plan_count < 1 || plan_count > kMaxPlansPerQuote) {
        throw_out_of_range("plan_count_out_of_range", "plan_count", plan_count, kMaxPlansPerQuote);
    }
}

namespace {

// The first step of every plan: the limits checked, the candidates, the single tables scored.
struct SinglesScored {
    std::vector<const TableInfo*> candidates;
    std::optional<Uuid> target_zone;
    int max_tables;
    Search search;
    bool search_merges;

    explicit SinglesScored(const PlanRequest& in)
        : candidates(checked_candidates(in)),
          target_zone(in.booking.assigned_zone_id ? in.booking.assigned_zone_id : in.preferred_zone),
          max_tables(in.flags.merges_enabled ? in.max_tables : 1),
          search(in, candidates, max_tables) {
        search.singles(target_zone);
        search_merges = max_tables > 1 && search.merges_could_enter();
    }
    SinglesScored(const SinglesScored&) = delete;  // search refers to candidates
    SinglesScored& operator=(const SinglesScored&) = delete;

private:
    static std::vector<const TableInfo*> checked_candidates(const PlanRequest& in) {
        check_plan_limits(in.max_tables, in.plan_count);
        check_booking_assignable(in.booking);
        return candidate_tables(in);
    }
};

}  // namespace

bool plan_searches_merges(const PlanRequest& request) {
    return SinglesScored(request).search_merges;
}

std::vector<TablePlan> plan_tables(const PlanRequest& request) {
    const PlanRequest& in = request;
    SinglesScored scored(in);
    const std::vector<const TableInfo*>& candidates = scored.candidates;
    const std::optional<Uuid>& target_zone = scored.target_zone;
    const int max_tables = scored.max_tables;
    Search& search = scored.search;
    const bool search_merges = scored.search_merges;
    const std::vector<std::pair<int, int>> ends = search_merges ? edge_ends(in, candidates) : decltype(ends){};
    if (search_merges) {
        const bool connected = in.require_adjacency_argument || in.flags.require_adjacency;
        for (const Zone& zone : merge_zones(in, candidates, ends, max_tables, target_zone)) {
            if (zone.members.size() >= 2) search.merges(zone, connected);
        }
    }

    std::vector<TablePlan> plans;
    const std::vector<Found>& found = search.plans();
    plans.reserve(found.size());
    const std::vector<ExistingAssignment> no_assignments;
    const EdgesTouching touching(ends, candidates.size());
    for (std::size_t n = 0; n < found.size(); ++n) {
        const Found& f = found[n];
        TablePlan plan;
        std::vector<TableInfo> rows;
        for (int i = 0; i < f.size; ++i) {
            plan.tables.push_back(candidates[f.ids[i]]->id);
            rows.push_back(*candidates[f.ids[i]]);
        }
        plan.zone = rows.front().zone_id;
        plan.seats = f.seats;
        plan.seats_left_over = f.key.seats_left_over;
        plan.is_merge = f.size > 1;
        plan.rank = PlanRank{static_cast<int>(n) + 1, f.key.seats_short,
                             f.key.seats_left_over,   f.key.table_count,
                             f.key.zone_rank,         f.key.idle_gap,
                             f.key.crowding,          n == 0 ? "" : first_difference(f, found[n - 1])};
        // The assignment's own rules, on every plan offered: a quote never offers what the
        // assignment would refuse.
        try {
            check_table_set(TableSetCheck{in.booking, plan.tables, no_assignments, rows, touching.of(f, in.edges),
                                          in.flags, in.require_adjacency_argument});
        } catch (const AllocatorError& e) {
            throw std::logic_error(std::string("table planner offered a plan the assignment rules refuse: ") +
                                   e.what());
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

}  // namespace allocator
