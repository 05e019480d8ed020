// Library entry: module magic and the allocator.* settings.
#include "allocator/pg/locks.hpp"
#include "allocator/pg/postgres.hpp"
#include "allocator/pg/telemetry.hpp"

extern "C" {

PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void) {
    DefineCustomIntVariable("allocator.lock_timeout",
                            "Longest time one allocator call waits for its booking and table locks.",
                            "When exceeded the call fails with SQLSTATE 55P03 and changes nothing.",
                            &allocator::pg::allocator_lock_timeout_ms, 2000, 1, 600000, PGC_USERSET, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
    allocator::pg::telemetry_define_settings();
    MarkGUCPrefixReserved("allocator");

    // Conflict telemetry needs shared memory and a background worker: only when preloaded.
    if (process_shared_preload_libraries_in_progress) allocator::pg::telemetry_register_preloaded();
}

}  // extern "C"
