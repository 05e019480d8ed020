#include "allocator/pg/telemetry.hpp"

#include <cstring>

extern "C" {
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
}

#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kRingSize = 256;
constexpr int kFailureWindow = 64;          // failure timestamps kept for "recent" counts
constexpr long kRecentFailureMicros = 5L * 60 * 1000000;
constexpr int kWriteBatch = 16;

// One failed call, copied by value: shared memory holds no pointers into a backend.
struct ConflictRecord {
    TimestampTz at;
    Oid database;
    int sqlstate;
    bool has_booking;
    pg_uuid_t booking;
    char function[64];
    char message[512];
    char detail[1024];
    char hint[256];
};

struct TelemetryState {
    LWLock* lock;
    Latch* worker_latch;
    uint64 conflicts_recorded;
    uint64 events_written;
    uint64 insert_failures;
    uint64 head;  // next slot to write
    uint64 tail;  // next slot to read; head - tail records are pending
    TimestampTz failure_times[kFailureWindow];
    int failure_next;
    TimestampTz last_failure_at;
    char last_failure_message[256];
    ConflictRecord ring[kRingSize];
};

TelemetryState* telemetry = nullptr;
shmem_request_hook_type previous_shmem_request_hook = nullptr;
shmem_startup_hook_type previous_shmem_startup_hook = nullptr;
char* telemetry_database_name = nullptr;

void request_shared_memory() {
    if (previous_shmem_request_hook) previous_shmem_request_hook();
    RequestAddinShmemSpace(MAXALIGN(sizeof(TelemetryState)));
    RequestNamedLWLockTranche("allocator_telemetry", 1);
}

void attach_shared_memory() {
    if (previous_shmem_startup_hook) previous_shmem_startup_hook();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found = false;
    telemetry = static_cast<TelemetryState*>(ShmemInitStruct("allocator telemetry", sizeof(TelemetryState), &found));
    if (!found) {
        std::memset(telemetry, 0, sizeof(TelemetryState));
        telemetry->lock = &(GetNamedLWLockTranche("allocator_telemetry"))->lock;
    }
    LWLockRelease(AddinShmemInitLock);
}

// Caller holds the lock.
void note_failures_locked(uint64 count, const char* message) {
    const TimestampTz now = GetCurrentTimestamp();
    telemetry->insert_failures += count;
    for (uint64 i = 0; i < count && i < kFailureWindow; ++i) {
        telemetry->failure_times[telemetry->failure_next] = now;
        telemetry->failure_next = (telemetry->failure_next + 1) % kFailureWindow;
    }
    telemetry->last_failure_at = now;
    strlcpy(telemetry->last_failure_message, message, sizeof telemetry->last_failure_message);
}

void note_failures(uint64 count, const char* message) {
    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    note_failures_locked(count, message);
    LWLockRelease(telemetry->lock);
}

// Writes records of this database through the extension's SQL function, in one
// transaction of the worker's own. Any error is counted, logged and survived.
void write_records(const ConflictRecord* records, int count) {
    MemoryContext worker_context = CurrentMemoryContext;
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        SPI_connect();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "allocator: writing conflict telemetry");
        int rc = SPI_execute(
            "select pg_catalog.quote_ident(n.nspname) from pg_catalog.pg_extension e "
            "join pg_catalog.pg_namespace n on n.oid = e.extnamespace where e.extname = 'allocator'",
            true, 1);
        if (rc != SPI_OK_SELECT || SPI_processed != 1)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                            errmsg("extension allocator is not installed in database \"%s\"",
                                   telemetry_database_name)));
        char* schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        char* query = psprintf("select %s.record_conflict_event($1, $2, $3, $4, $5, $6, $7)", schema);
        Oid types[7] = {TIMESTAMPTZOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
        for (int i = 0; i < count; ++i) {
            const ConflictRecord& r = records[i];
            Datum values[7] = {TimestampTzGetDatum(r.at), CStringGetTextDatum(r.function),
                               r.has_booking ? UUIDPGetDatum(const_cast<pg_uuid_t*>(&r.booking)) : 0,
                               CStringGetTextDatum(unpack_sql_state(r.sqlstate)), CStringGetTextDatum(r.message),
                               CStringGetTextDatum(r.detail), CStringGetTextDatum(r.hint)};
            char nulls[8] = {' ', ' ', r.has_booking ? ' ' : 'n', ' ', ' ', r.detail[0] ? ' ' : 'n',
                             r.hint[0] ? ' ' : 'n', '\0'};
            if (SPI_execute_with_args(query, 7, types, values, nulls, false, 0) < 0)
                ereport(ERROR, (errmsg("allocator: could not write conflict telemetry")));
        }
        SPI_finish();
        PopActiveSnapshot();
        CommitTransactionCommand();
        pgstat_report_activity(STATE_IDLE, nullptr);
        LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
        telemetry->events_written += count;
        LWLockRelease(telemetry->lock);
    }
    PG_CATCH();
    {
        // The top-level error recovery PostgresMain does, minus the client.
        HOLD_INTERRUPTS();
        MemoryContextSwitchTo(worker_context);
        ErrorData* error = CopyErrorData();
        EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
        RESUME_INTERRUPTS();
        note_failures(count, error->message ? error->message : "unknown error");
        FreeErrorData(error);
        pgstat_report_activity(STATE_IDLE, nullptr);
    }
    PG_END_TRY();
}

void drain_ring() {
    static ConflictRecord batch[kWriteBatch];
    for (;;) {
        int count = 0;
        int foreign = 0;
        LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
        while (telemetry->tail < telemetry->head && count < kWriteBatch) {
            const ConflictRecord& r = telemetry->ring[telemetry->tail % kRingSize];
            if (r.database == MyDatabaseId) batch[count++] = r;
            else ++foreign;
            ++telemetry->tail;
        }
        if (foreign > 0)
            note_failures_locked(foreign, "conflict in a database other than allocator.database_name was not recorded");
        LWLockRelease(telemetry->lock);
        if (count == 0 && foreign == 0) return;
        if (count > 0) write_records(batch, count);
    }
}

}  // namespace

void telemetry_define_settings() {
    DefineCustomStringVariable("allocator.database_name",
                               "Database in which the telemetry worker records conflict events.",
                               "Read when the worker starts (server start); allocator must be in "
                               "shared_preload_libraries.",
                               // PGC_SIGHUP, not PGC_POSTMASTER: that context can only be defined while
                               // preloading, and this library is also loaded on demand.
                               &telemetry_database_name, "postgres", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
}

void telemetry_register_preloaded() {
    previous_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = request_shared_memory;
    previous_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = attach_shared_memory;

    BackgroundWorker worker;
    std::memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = 10;
    strlcpy(worker.bgw_library_name, "allocator", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "allocator_telemetry_worker_main", BGW_MAXLEN);
    strlcpy(worker.bgw_name, "allocator telemetry writer", BGW_MAXLEN);
    strlcpy(worker.bgw_type, "allocator telemetry writer", BGW_MAXLEN);
    RegisterBackgroundWorker(&worker);
}

void telemetry_record_failure(const EntryPoint& entry, FunctionCallInfo fcinfo, int sqlstate, const char* message,
                              const char* detail, const char* hint) {
    if (telemetry == nullptr) return;
    if (sqlstate != ERRCODE_EXCLUSION_VIOLATION && sqlstate != ERRCODE_LOCK_NOT_AVAILABLE) return;

    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    if (telemetry->head - telemetry->tail >= kRingSize) {
        ++telemetry->tail;  // full: the oldest unwritten record is lost, and counted
        note_failures_locked(1, "telemetry ring overflow: the writer fell behind");
    }
    ConflictRecord& r = telemetry->ring[telemetry->head % kRingSize];
    r.at = GetCurrentTimestamp();
    r.database = MyDatabaseId;
    r.sqlstate = sqlstate;
    r.has_booking = entry.booking_argument >= 0 && entry.booking_argument < fcinfo->nargs &&
                    !PG_ARGISNULL(entry.booking_argument);
    if (r.has_booking) std::memcpy(&r.booking, DatumGetUUIDP(PG_GETARG_DATUM(entry.booking_argument)), sizeof r.booking);
    strlcpy(r.function, entry.function, sizeof r.function);
    strlcpy(r.message, message ? message : "", sizeof r.message);
    strlcpy(r.detail, detail ? detail : "", sizeof r.detail);
    strlcpy(r.hint, hint ? hint : "", sizeof r.hint);
    ++telemetry->head;
    ++telemetry->conflicts_recorded;
    Latch* latch = telemetry->worker_latch;
    LWLockRelease(telemetry->lock);
    if (latch) SetLatch(latch);
}

namespace {

Datum telemetry_stats(FunctionCallInfo fcinfo) {
    Datum values[8] = {0};
    bool nulls[8] = {false};
    values[0] = BoolGetDatum(telemetry != nullptr);
    if (telemetry == nullptr) {
        for (int i = 1; i < 8; ++i) nulls[i] = true;
    } else {
        const TimestampTz recent_since = GetCurrentTimestamp() - kRecentFailureMicros;
        pg_call([&] {
            LWLockAcquire(telemetry->lock, LW_SHARED);
            int64 recent = 0;
            for (int i = 0; i < kFailureWindow; ++i)
                if (telemetry->failure_times[i] != 0 && telemetry->failure_times[i] >= recent_since) ++recent;
            values[1] = Int64GetDatum(static_cast<int64>(telemetry->conflicts_recorded));
            values[2] = Int64GetDatum(static_cast<int64>(telemetry->events_written));
            values[3] = Int64GetDatum(static_cast<int64>(telemetry->insert_failures));
            values[4] = Int64GetDatum(recent);
            nulls[5] = telemetry->last_failure_at == 0;
            values[5] = TimestampTzGetDatum(telemetry->last_failure_at);
            nulls[6] = telemetry->last_failure_message[0] == '\0';
            values[6] = CStringGetTextDatum(telemetry->last_failure_message);
            values[7] = Int32GetDatum(static_cast<int32>(telemetry->head - telemetry->tail));
            LWLockRelease(telemetry->lock);
        });
    }
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "allocator_telemetry_stats must return a row type");
        desc = BlessTupleDesc(desc);
        return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
}

}  // namespace

}  // namespace allocator::pg

extern "C" {

PGDLLEXPORT void allocator_telemetry_worker_main(Datum);

void allocator_telemetry_worker_main(Datum) {
    using namespace allocator::pg;
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(telemetry_database_name, nullptr, 0);

    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    telemetry->worker_latch = MyLatch;
    LWLockRelease(telemetry->lock);
    ereport(LOG, (errmsg("allocator telemetry writer started in database \"%s\"", telemetry_database_name)));

    for (;;) {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        drain_ring();
    }
}

}  // extern "C"

ALLOCATOR_SQL_FUNCTION(allocator_telemetry_stats, -1, allocator::pg::telemetry_stats)
