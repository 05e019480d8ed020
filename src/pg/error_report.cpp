// The one place that turns errors into ereport(ERROR): AllocatorError (SPEC section 4
// contract), PostgreSQL errors caught by pg_call (re-thrown unchanged), and anything else
// C++ threw (an internal error, never a crash).
#include <new>

#include "allocator/core/errors.hpp"
#include "allocator/pg/guard.hpp"

namespace allocator::pg {

namespace {

int to_pg_sqlstate(SqlState state) {
    const char* c = sqlstate_code(state);
    return MAKE_SQLSTATE(c[0], c[1], c[2], c[3], c[4]);
}

}  // namespace

void capture_current_exception(PendingError& pending) noexcept {
    // Only copies into palloc'd memory here; the ereport happens in raise_pending, after
    // the catch block has ended and every C++ frame above sql_entry is unwound.
    try {
        throw;
    } catch (const PgError& e) {
        pending.postgres = e.data();
    } catch (const AllocatorError& e) {
        pending.sqlstate = to_pg_sqlstate(e.state());
        pending.message = pstrdup(e.what());
        pending.detail = pstrdup(e.detail().to_json().c_str());
        pending.hint = e.hint().empty() ? nullptr : pstrdup(e.hint().c_str());
    } catch (const std::bad_alloc&) {
        pending.sqlstate = ERRCODE_OUT_OF_MEMORY;
        pending.message = pstrdup("allocator ran out of memory");
    } catch (const std::exception& e) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        pending.message = psprintf("allocator internal error: %s", e.what());
    } catch (...) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        pending.message = pstrdup("allocator internal error: unknown exception");
    }
}

void raise_pending(const PendingError& pending, const EntryPoint& entry, FunctionCallInfo fcinfo) {
    if (pending.postgres) {
        // e.g. 23P01 from an exclusion constraint, the backstop behind our own checks
        const ErrorData* e = pending.postgres;
        telemetry_record_failure(entry, fcinfo, e->sqlerrcode, e->message, e->detail, e->hint);
        ReThrowError(pending.postgres);
    }
    telemetry_record_failure(entry, fcinfo, pending.sqlstate, pending.message, pending.detail, pending.hint);
    ereport(ERROR, (errcode(pending.sqlstate), errmsg("%s", pending.message),
                    pending.detail ? errdetail("%s", pending.detail) : 0,
                    pending.hint ? errhint("%s", pending.hint) : 0));
    pg_unreachable();
}

}  // namespace allocator::pg
