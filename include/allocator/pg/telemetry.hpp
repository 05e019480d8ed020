// Conflict telemetry that survives the caller's rollback.
//
// A conflict (23P01) or lock timeout (55P03) aborts the caller's transaction, so an event
// row written there would vanish with it. When allocator is in shared_preload_libraries,
// the failing backend instead copies the error into a ring in shared memory and wakes a
// background worker, which writes it to observability_events in its own transaction
// (in the database named by allocator.database_name). Without preloading, recording is a
// no-op and allocator_telemetry_stats() says so.
#pragma once

#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// Describes a SQL entry point for error telemetry.
struct EntryPoint {
    const char* function;  // SQL name, e.g. "assign_tables_atomic_v2"
    int booking_argument;  // index of its booking uuid argument, -1 if none
    bool writes;           // refused at once on a hot standby (standby.hpp)
};

// Called from _PG_init while shared_preload_libraries is processed.
void telemetry_register_preloaded();
void telemetry_define_settings();

// Copies one failed call into the ring, if telemetry is active and the error is a
// conflict or a lock timeout. Never throws; may not allocate.
void telemetry_record_failure(const EntryPoint& entry, FunctionCallInfo fcinfo, int sqlstate, const char* message,
                              const char* detail, const char* hint);

}  // namespace allocator::pg
