// The one place that turns errors into ereport(ERROR): AllocatorError (docs/errors.md
// contract), PostgreSQL errors caught by pg_call (re-thrown unchanged), and anything else
// C++ threw (an internal error, never a crash). For a PostgREST request, the contract's
// errors are raised in PostgREST's PGRST form instead, so it answers with the HTTP status
// each one means (core/postgrest_error.hpp, docs/supabase.md).
#include <cstring>
#include <new>

#include "allocator/core/errors.hpp"
#include "allocator/core/postgrest_error.hpp"
#include "allocator/pg/guard.hpp"

namespace allocator::pg {

namespace {

int to_pg_sqlstate(SqlState state) {
    const char* c = sqlstate_code(state);
    return MAKE_SQLSTATE(c[0], c[1], c[2], c[3], c[4]);
}

// A request PostgREST runs: it sets request.path in every request's transaction. Only at
// the top transaction level: inside a subtransaction (an EXCEPTION block, a savepoint) an
// app's own code may catch the error by its SQLSTATE, so it keeps it.
bool in_postgrest_request() {
    if (GetCurrentTransactionNestLevel() != 1) return false;
    const char* path = GetConfigOption("request.path", true, false);
    return path != nullptr && path[0] == '/';
}

struct PostgrestForm {
    char* body = nullptr;    // the PGRST error's MESSAGE
    char* status = nullptr;  // and its DETAIL
};

// The PGRST form of an error, in palloc'd memory, or nothing when it keeps its SQLSTATE.
PostgrestForm postgrest_form(int sqlerrcode, const char* message, const char* detail, const char* hint) noexcept {
    PostgrestForm form;
    if (!in_postgrest_request()) return form;
    try {
        const char* code = unpack_sql_state(sqlerrcode);
        const auto status = postgrest_status(code);
        if (!status) return form;
        form.body = pstrdup(postgrest_error_body(code, message ? message : "", detail, hint).c_str());
        form.status = pstrdup(postgrest_error_status(*status).c_str());
    } catch (...) {
        form = PostgrestForm{};  // out of memory: the plain error is still right
    }
    return form;
}

[[noreturn]] void raise_postgrest(const PostgrestForm& form) {
    ereport(ERROR, (errcode(MAKE_SQLSTATE('P', 'G', 'R', 'S', 'T')), errmsg_internal("%s", form.body),
                    errdetail_internal("%s", form.status)));
    pg_unreachable();
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
        // e.g. 23P01 from an exclusion constraint, the backstop behind our own checks, or
        // an error the SQL side raised (allocator_error) already in its final form
        const ErrorData* e = pending.postgres;
        telemetry_record_failure(entry, fcinfo, e->sqlerrcode, e->message, e->detail, e->hint);
        const PostgrestForm form = postgrest_form(e->sqlerrcode, e->message, e->detail, e->hint);
        if (form.body) raise_postgrest(form);
        ReThrowError(pending.postgres);
    }
    telemetry_record_failure(entry, fcinfo, pending.sqlstate, pending.message, pending.detail, pending.hint);
    raise_error(pending.sqlstate, pending.message, pending.detail, pending.hint);
}

void raise_error(int sqlerrcode, const char* message, const char* detail, const char* hint) {
    const PostgrestForm form = postgrest_form(sqlerrcode, message, detail, hint);
    if (form.body) raise_postgrest(form);
    ereport(ERROR, (errcode(sqlerrcode), errmsg("%s", message), detail ? errdetail("%s", detail) : 0,
                    hint ? errhint("%s", hint) : 0));
    pg_unreachable();
}

}  // namespace allocator::pg

// allocator_error(p_sqlstate, p_message, p_detail, p_hint): the SQL side's error helper,
// so errors raised in PL/pgSQL (manual_context, access checks) take the same form.
extern "C" {
PG_FUNCTION_INFO_V1(allocator_error);
Datum allocator_error(PG_FUNCTION_ARGS) {
    const char* sqlstate = PG_ARGISNULL(0) ? "XX000" : text_to_cstring(PG_GETARG_TEXT_PP(0));
    if (std::strlen(sqlstate) != 5) elog(ERROR, "allocator_error: bad SQLSTATE \"%s\"", sqlstate);
    const char* message = PG_ARGISNULL(1) ? "allocator error" : text_to_cstring(PG_GETARG_TEXT_PP(1));
    const char* detail =
        PG_ARGISNULL(2) ? nullptr : DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(2)));
    const char* hint = PG_ARGISNULL(3) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(3));
    allocator::pg::raise_error(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]), message,
                               detail, hint);
}
}
