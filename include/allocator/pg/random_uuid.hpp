// Version 4 uuids, as gen_random_uuid() makes them, from a backend's pool of strong random
// bytes. The bytes come from pg_strong_random(), drawn for several uuids at once: one call per
// uuid was 3% of a merge's CPU (bench/README.md), most of it OpenSSL's own per-call overhead.
// Each uuid's bytes leave the pool when it is made: none is made twice.
#pragma once

#include "allocator/core/uuid.hpp"

namespace allocator::pg {

// Outside pg_call: a PostgreSQL error comes back as a PgError.
Uuid new_random_uuid();

// Inside pg_call (a DirectWrite's insert): raises with ereport.
Uuid draw_random_uuid();

}  // namespace allocator::pg
