#include "allocator/pg/random_uuid.hpp"

#include <array>
#include <cstring>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

namespace {

// A merge uses six uuids (its group, two assignment rows, three mirror rows): one draw
// covers five merges. pg_strong_random() costs about the same for 16 bytes as for 512: most of
// it is OpenSSL's RAND_status() and its generator's set-up on every call.
constexpr std::size_t kPooledUuids = 32;
std::array<std::uint8_t, kPooledUuids * UUID_LEN> pool{};
std::size_t used = pool.size();  // all used: the first uuid draws

}  // namespace

Uuid draw_random_uuid() {
    if (used + UUID_LEN > pool.size()) {
        if (!pg_strong_random(pool.data(), pool.size()))
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random values")));
        used = 0;
    }
    Uuid id;
    std::memcpy(id.bytes.data(), pool.data() + used, UUID_LEN);
    std::memset(pool.data() + used, 0, UUID_LEN);  // used once only
    used += UUID_LEN;
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    return id;
}

Uuid new_random_uuid() {
    Uuid id;
    pg_call([&] { id = draw_random_uuid(); });
    return id;
}

}  // namespace allocator::pg
