#include "allocator/pg/version_check.hpp"

#include "allocator/pg/guard.hpp"
#include "allocator/pg/postgres.hpp"

#ifndef ALLOCATOR_VERSION
#error "ALLOCATOR_VERSION (the extension version this library is) must be defined by the build"
#endif

namespace allocator::pg {

namespace {

// Whether the installed version was found to match since the last change to pg_proc.
bool version_matches = false;
bool watching_functions = false;

void forget_version_check(Datum, int, uint32) {
    version_matches = false;
}

}  // namespace

void check_sql_version() {
    // An extension script (CREATE EXTENSION, ALTER EXTENSION UPDATE) calling its functions
    // runs while the SQL is being replaced; it knows which functions it calls.
    if (version_matches || creating_extension) return;
    if (!watching_functions) {
        pg_call([] { CacheRegisterSyscacheCallback(PROCOID, forget_version_check, 0); });
        watching_functions = true;
    }
    // Set before reading: an invalidation that arrives during the read clears it again.
    version_matches = true;
    pg_call([] {
        const int rc = SPI_execute(
            "select e.extversion from pg_catalog.pg_extension e "
            "where e.extname OPERATOR(pg_catalog.=) 'allocator'",
            true, 1);
        const char* installed = (rc == SPI_OK_SELECT && SPI_processed == 1)
                                    ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)
                                    : nullptr;
        if (installed != nullptr && strcmp(installed, ALLOCATOR_VERSION) == 0) return;
        version_matches = false;
        const char* shown = installed != nullptr ? installed : "none";
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("allocator: the installed extension is version %s, but this connection runs library %s", shown,
                        ALLOCATOR_VERSION),
                 errdetail("{\"reason\": \"version_mismatch\", \"installed\": \"%s\", \"library\": \"%s\"}", shown,
                           ALLOCATOR_VERSION),
                 errhint("If the library is newer, run ALTER EXTENSION allocator UPDATE. If the extension is newer, "
                         "install its library (make install) and reconnect: a connection keeps the library it "
                         "loaded first.")));
    });
}

}  // namespace allocator::pg
