#include "allocator/pg/telemetry.hpp"

#include <cstring>

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
}

#include "allocator/core/recent_count.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// Records the ring holds while the worker is behind; one more is dropped (and counted).
// 1024 records (about 2 MB of shared memory) bridge the worker's pauses: with 256, drops
// began at 2,000 conflicts a second, far below what the worker writes (docs/operations.md).
constexpr int kRingSize = 1024;
// Records written per transaction of the worker.
constexpr int kWriteBatch = 16;
// The window of recent_insert_failures and recent_dropped.
constexpr int kRecentSeconds = 5 * 60;

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

// Every conflict reported ends up in exactly one counter, or is still pending:
//   conflicts_recorded = events_written + insert_failures + dropped + other_database + pending
// where pending = (head - tail) + writing. All of it changes under `lock` only.
struct TelemetryState {
    LWLock* lock;
    Latch* worker_latch;        // null while no worker runs
    Oid worker_database;        // the database the worker writes to; InvalidOid while none is connected
    uint64 conflicts_recorded;  // conflicts and lock timeouts reported by any backend of any database
    uint64 events_written;      // written into observability_events by the worker
    uint64 insert_failures;     // of the worker's database, not written because writing failed
    uint64 dropped;             // not written because the ring was full (or the worker exited holding them)
    uint64 other_database;      // raised in a database the worker does not write to: not recorded
    uint64 head;                // next slot to write
    uint64 tail;                // next slot to read; head - tail records are in the ring
    uint64 writing;             // taken from the ring by the worker, not written or failed yet
    RecentCount<kRecentSeconds> recent_failures;
    RecentCount<kRecentSeconds> recent_dropped;
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

// ---- the worker ----

// The database the worker is connected to, for its messages (worker memory).
char worker_database_name[NAMEDATALEN];
// Whether the worker has said that the extension is missing in its database (once, until
// it is there again).
bool extension_missing_logged = false;
// A failing write is logged at most once per kFailureLogMicros; the others are counted
// (insert_failures, last_failure_message) and summed up in the next message.
constexpr long kFailureLogMicros = 10L * 1000000;
TimestampTz failure_logged_at = 0;
uint64 failures_not_logged = 0;

// The worker's current batch is done: `written` records are in observability_events,
// `failed` are not, because of `message`.
void finish_batch(uint64 written, uint64 failed, const char* message) {
    const TimestampTz now = GetCurrentTimestamp();
    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    telemetry->writing = 0;
    telemetry->events_written += written;
    if (failed > 0) {
        telemetry->insert_failures += failed;
        telemetry->recent_failures.add(now, failed);
        telemetry->last_failure_at = now;
        strlcpy(telemetry->last_failure_message, message, sizeof telemetry->last_failure_message);
    }
    LWLockRelease(telemetry->lock);
}

// The schema of extension `extension` (PostgreSQL 16 has this as get_extension_schema()).
Oid extension_schema(Oid extension) {
    Relation rel = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(extension));
    SysScanDesc scan = systable_beginscan(rel, ExtensionOidIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    const Oid schema =
        HeapTupleIsValid(tuple) ? reinterpret_cast<Form_pg_extension>(GETSTRUCT(tuple))->extnamespace : InvalidOid;
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    return schema;
}

// The quoted name of the schema allocator is installed in, in this database; null when it
// is not installed. Read from the catalogs, not through SQL: nothing here depends on
// search_path. Inside a transaction.
const char* allocator_schema() {
    const Oid extension = get_extension_oid("allocator", true);
    if (!OidIsValid(extension)) return nullptr;
    const Oid schema = extension_schema(extension);
    const char* name = OidIsValid(schema) ? get_namespace_name(schema) : nullptr;
    return name ? quote_identifier(name) : nullptr;
}

// Says once that the extension is missing, and once that it is back; never per batch.
void note_extension_installed(bool installed) {
    if (!installed && !extension_missing_logged) {
        ereport(LOG, (errmsg("allocator telemetry writer: extension allocator is not installed in database \"%s\"",
                             worker_database_name),
                      errdetail("Conflicts of this database are counted as insert failures and those of other "
                                "databases as other_database; none is written until it is installed."),
                      errhint("Set allocator.database_name to the database allocator is installed in and restart "
                              "the server, or CREATE EXTENSION allocator in \"%s\".",
                              worker_database_name)));
        extension_missing_logged = true;
    } else if (installed && extension_missing_logged) {
        ereport(LOG, (errmsg("allocator telemetry writer: extension allocator is installed in database \"%s\" now",
                             worker_database_name)));
        extension_missing_logged = false;
    }
}

// Writes the records through the extension's SQL function, in the current transaction.
void insert_events(const char* schema, const ConflictRecord* records, int count) {
    // Schema-qualified, every parameter typed: this resolves to the extension's own
    // record_conflict_event whatever search_path or another schema holds.
    char* query = psprintf("SELECT %s.record_conflict_event($1, $2, $3, $4, $5, $6, $7)", schema);
    Oid types[7] = {TIMESTAMPTZOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
    SPIPlanPtr plan = SPI_prepare(query, 7, types);
    if (plan == nullptr)
        ereport(ERROR,
                (errmsg("allocator: could not prepare the telemetry insert: %s", SPI_result_code_string(SPI_result))));
    for (int i = 0; i < count; ++i) {
        const ConflictRecord& r = records[i];
        Datum values[7] = {TimestampTzGetDatum(r.at),
                           CStringGetTextDatum(r.function),
                           r.has_booking ? UUIDPGetDatum(const_cast<pg_uuid_t*>(&r.booking)) : 0,
                           CStringGetTextDatum(unpack_sql_state(r.sqlstate)),
                           CStringGetTextDatum(r.message),
                           CStringGetTextDatum(r.detail),
                           CStringGetTextDatum(r.hint)};
        char nulls[8] = {' ', ' ', r.has_booking ? ' ' : 'n', ' ', ' ', r.detail[0] ? ' ' : 'n', r.hint[0] ? ' ' : 'n',
                         '\0'};
        if (SPI_execute_plan(plan, values, nulls, false, 0) < 0)
            ereport(ERROR, (errmsg("allocator: could not write conflict telemetry")));
    }
}

// Says how many events failed to be written, unlogged, since the failure logged last.
void log_failures_not_logged() {
    if (failures_not_logged == 0) return;
    ereport(LOG, (errmsg("allocator telemetry writer: %llu more events could not be written after the failure "
                         "logged at %s; their errors were not logged",
                         static_cast<unsigned long long>(failures_not_logged), timestamptz_to_str(failure_logged_at))));
    failures_not_logged = 0;
}

// Writes records of this database in one transaction of the worker's own; with no records,
// only checks that the extension is there. Any error is counted, logged and survived.
void write_records(const ConflictRecord* records, int count) {
    MemoryContext worker_context = CurrentMemoryContext;
    // Set inside PG_TRY, read after it.
    volatile bool installed = false;
    volatile bool failed = false;
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        SPI_connect();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "allocator: writing conflict telemetry");
        const char* schema = allocator_schema();
        installed = schema != nullptr;
        if (schema != nullptr && count > 0) insert_events(schema, records, count);
        SPI_finish();
        PopActiveSnapshot();
        CommitTransactionCommand();
    }
    PG_CATCH();
    {
        // The top-level error recovery PostgresMain does, minus the client.
        HOLD_INTERRUPTS();
        MemoryContextSwitchTo(worker_context);
        ErrorData* error = CopyErrorData();
        const TimestampTz now = GetCurrentTimestamp();
        const bool log_it = now - failure_logged_at >= kFailureLogMicros;
        if (log_it) EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
        RESUME_INTERRUPTS();
        failed = true;
        finish_batch(0, count, error->message ? error->message : "unknown error");
        FreeErrorData(error);
        if (log_it) {
            log_failures_not_logged();
            failure_logged_at = now;
        } else {
            failures_not_logged += count;
        }
    }
    PG_END_TRY();
    MemoryContextSwitchTo(worker_context);
    pgstat_report_activity(STATE_IDLE, nullptr);
    if (failed) return;
    note_extension_installed(installed);
    if (count == 0) return;
    if (installed) {
        finish_batch(count, 0, nullptr);
    } else {
        char message[256];
        snprintf(message, sizeof message, "extension allocator is not installed in database \"%s\"",
                 worker_database_name);
        finish_batch(0, count, message);
    }
}

void drain_ring() {
    static ConflictRecord batch[kWriteBatch];
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        int count = 0;
        LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
        while (telemetry->tail < telemetry->head && count < kWriteBatch) {
            const ConflictRecord& r = telemetry->ring[telemetry->tail % kRingSize];
            // Queued before this worker said which database it serves.
            if (r.database == MyDatabaseId)
                batch[count++] = r;
            else
                ++telemetry->other_database;
            ++telemetry->tail;
        }
        telemetry->writing = count;
        LWLockRelease(telemetry->lock);
        if (count == 0) return;  // the ring is empty
        write_records(batch, count);
    }
}

// Backends stop queueing for a worker that is gone; what it held unwritten is lost.
void worker_exit(int, Datum) {
    const TimestampTz now = GetCurrentTimestamp();
    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    if (telemetry->worker_latch == MyLatch) {
        telemetry->worker_latch = nullptr;
        telemetry->worker_database = InvalidOid;
    }
    if (telemetry->writing > 0) {
        telemetry->dropped += telemetry->writing;
        telemetry->recent_dropped.add(now, telemetry->writing);
        telemetry->writing = 0;
    }
    LWLockRelease(telemetry->lock);
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

    const TimestampTz now = GetCurrentTimestamp();
    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    ++telemetry->conflicts_recorded;
    const Oid worker_database = telemetry->worker_database;
    if (OidIsValid(worker_database) && worker_database != MyDatabaseId) {
        // The worker writes into its own database only; this one's conflicts are counted, not queued.
        ++telemetry->other_database;
        LWLockRelease(telemetry->lock);
        return;
    }
    Latch* latch = telemetry->worker_latch;
    if (telemetry->head - telemetry->tail >= kRingSize) {
        // Full: the worker fell behind. This record is lost, and counted as such.
        ++telemetry->dropped;
        telemetry->recent_dropped.add(now, 1);
        LWLockRelease(telemetry->lock);
        if (latch) SetLatch(latch);
        return;
    }
    ConflictRecord& r = telemetry->ring[telemetry->head % kRingSize];
    r.at = now;
    r.database = MyDatabaseId;
    r.sqlstate = sqlstate;
    r.has_booking =
        entry.booking_argument >= 0 && entry.booking_argument < fcinfo->nargs && !PG_ARGISNULL(entry.booking_argument);
    if (r.has_booking)
        std::memcpy(&r.booking, DatumGetUUIDP(PG_GETARG_DATUM(entry.booking_argument)), sizeof r.booking);
    strlcpy(r.function, entry.function, sizeof r.function);
    strlcpy(r.message, message ? message : "", sizeof r.message);
    strlcpy(r.detail, detail ? detail : "", sizeof r.detail);
    strlcpy(r.hint, hint ? hint : "", sizeof r.hint);
    ++telemetry->head;
    LWLockRelease(telemetry->lock);
    if (latch) SetLatch(latch);
}

namespace {

// A consistent copy of the counters, taken under the lock.
struct StatsSnapshot {
    uint64 conflicts_recorded;
    uint64 events_written;
    uint64 insert_failures;
    uint64 recent_insert_failures;
    uint64 dropped;
    uint64 recent_dropped;
    uint64 other_database;
    uint64 pending;
    TimestampTz last_failure_at;
    char last_failure_message[256];
    Oid worker_database;
};

void take_snapshot(StatsSnapshot& s) {
    const TimestampTz now = GetCurrentTimestamp();
    LWLockAcquire(telemetry->lock, LW_SHARED);
    s.conflicts_recorded = telemetry->conflicts_recorded;
    s.events_written = telemetry->events_written;
    s.insert_failures = telemetry->insert_failures;
    s.recent_insert_failures = telemetry->recent_failures.total(now);
    s.dropped = telemetry->dropped;
    s.recent_dropped = telemetry->recent_dropped.total(now);
    s.other_database = telemetry->other_database;
    s.pending = telemetry->head - telemetry->tail + telemetry->writing;
    s.last_failure_at = telemetry->last_failure_at;
    std::memcpy(s.last_failure_message, telemetry->last_failure_message, sizeof s.last_failure_message);
    s.worker_database = telemetry->worker_database;
    LWLockRelease(telemetry->lock);
}

// Fills the result columns by name, so the SQL declaration may list any of them in any
// order (a newer install script with more columns works with this library, and an older
// one with fewer).
Datum telemetry_stats(FunctionCallInfo fcinfo) {
    const bool preloaded = telemetry != nullptr;
    StatsSnapshot s;
    std::memset(&s, 0, sizeof s);
    if (preloaded) pg_call([&] { take_snapshot(s); });
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "allocator_telemetry_stats must return a row type");
        desc = BlessTupleDesc(desc);
        auto* values = static_cast<Datum*>(palloc0(sizeof(Datum) * Max(desc->natts, 1)));
        auto* nulls = static_cast<bool*>(palloc0(sizeof(bool) * Max(desc->natts, 1)));
        for (int i = 0; i < desc->natts; ++i) {
            const Form_pg_attribute column = TupleDescAttr(desc, i);
            nulls[i] = true;
            if (column->attisdropped) continue;
            const char* name = NameStr(column->attname);
            Oid type = InvalidOid;
            if (std::strcmp(name, "preloaded") == 0) {
                type = BOOLOID;
                values[i] = BoolGetDatum(preloaded);
                nulls[i] = false;
            } else if (std::strcmp(name, "pending") == 0) {
                type = INT4OID;
                values[i] = Int32GetDatum(static_cast<int32>(s.pending));
                nulls[i] = !preloaded;
            } else if (std::strcmp(name, "last_failure_at") == 0) {
                type = TIMESTAMPTZOID;
                values[i] = TimestampTzGetDatum(s.last_failure_at);
                nulls[i] = s.last_failure_at == 0;
            } else if (std::strcmp(name, "last_failure_message") == 0) {
                type = TEXTOID;
                values[i] = CStringGetTextDatum(s.last_failure_message);
                nulls[i] = s.last_failure_message[0] == '\0';
            } else if (std::strcmp(name, "worker_database") == 0) {
                type = TEXTOID;
                const char* database = OidIsValid(s.worker_database) ? get_database_name(s.worker_database) : nullptr;
                if (database) values[i] = CStringGetTextDatum(database);
                nulls[i] = database == nullptr;
            } else {
                const struct {
                    const char* name;
                    uint64 value;
                } counters[] = {{"conflicts_recorded", s.conflicts_recorded},
                                {"events_written", s.events_written},
                                {"insert_failures", s.insert_failures},
                                {"recent_insert_failures", s.recent_insert_failures},
                                {"dropped", s.dropped},
                                {"recent_dropped", s.recent_dropped},
                                {"other_database", s.other_database}};
                for (const auto& counter : counters)
                    if (std::strcmp(name, counter.name) == 0) {
                        type = INT8OID;
                        values[i] = Int64GetDatum(static_cast<int64>(counter.value));
                        nulls[i] = !preloaded;
                    }
                if (type == InvalidOid) elog(ERROR, "allocator_telemetry_stats has no column \"%s\"", name);
            }
            if (column->atttypid != type)
                elog(ERROR, "allocator_telemetry_stats: column \"%s\" must be of type %s", name, format_type_be(type));
        }
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
    // Belt and braces: every statement the worker sends is schema-qualified already.
    SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
    // A crash loses the records still in the ring anyway; waiting for the WAL flush of each
    // batch would only make the worker slower (by about a fifth: docs/operations.md).
    SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
    strlcpy(worker_database_name, telemetry_database_name, sizeof worker_database_name);

    before_shmem_exit(worker_exit, 0);
    LWLockAcquire(telemetry->lock, LW_EXCLUSIVE);
    telemetry->worker_latch = MyLatch;
    telemetry->worker_database = MyDatabaseId;
    LWLockRelease(telemetry->lock);
    ereport(LOG, (errmsg("allocator telemetry writer started in database \"%s\"", worker_database_name)));
    write_records(nullptr, 0);  // says now if the extension is missing here

    for (;;) {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        drain_ring();
        if (failures_not_logged > 0 && GetCurrentTimestamp() - failure_logged_at >= kFailureLogMicros)
            log_failures_not_logged();
    }
}

}  // extern "C"

ALLOCATOR_SQL_FUNCTION(allocator_telemetry_stats, -1, allocator::pg::telemetry_stats)
