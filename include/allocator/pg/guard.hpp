// The two guards between C++ and PostgreSQL error handling (the pattern pg_duckdb uses).
//
// PostgreSQL reports errors with longjmp, which skips C++ destructors; C++ reports them with
// exceptions, which PostgreSQL cannot catch. So:
//  - pg_call(f) runs one call into PostgreSQL under PG_TRY and turns an ERROR into a C++
//    PgError. Its own frame and `f` own nothing with a destructor.
//  - sql_entry(fcinfo, body) wraps every SQL-callable function: it catches any C++
//    exception, leaves every C++ frame, and only then raises ereport(ERROR).
#pragma once

#include <exception>
#include <type_traits>

#include "allocator/pg/postgres.hpp"
#include "allocator/pg/standby.hpp"
#include "allocator/pg/telemetry.hpp"

namespace allocator::pg {

// A PostgreSQL ERROR caught by pg_call, carried up the C++ stack unchanged (SQLSTATE,
// message, detail) so sql_entry can re-throw it as it was.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData* data) : data_(data) {}
    ErrorData* data() const { return data_; }
    int sqlerrcode() const { return data_->sqlerrcode; }
    const char* what() const noexcept override { return data_->message ? data_->message : "postgres error"; }

private:
    ErrorData* data_;
};

template <typename Fn>
auto pg_call(Fn&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    MemoryContext caller_context = CurrentMemoryContext;
    // Set inside the sigsetjmp region, read after it. `failed`, not `caught != nullptr`,
    // says an error was caught: CopyErrorData never returns NULL, which the analyzer cannot
    // know, so a null test would have it follow a path that returns the result unset.
    volatile bool failed = false;
    ErrorData* volatile caught = nullptr;
    if constexpr (std::is_void_v<Result>) {
        PG_TRY();
        { fn(); }
        PG_CATCH();
        {
            MemoryContextSwitchTo(caller_context);
            caught = CopyErrorData();
            FlushErrorState();
            failed = true;
        }
        PG_END_TRY();
        if (failed) throw PgError(caught);
    } else {
        static_assert(std::is_scalar_v<Result>, "pg_call returns plain values (pointers, numbers, Datums)");
        volatile Result result{};
        PG_TRY();
        { result = fn(); }
        PG_CATCH();
        {
            MemoryContextSwitchTo(caller_context);
            caught = CopyErrorData();
            FlushErrorState();
            failed = true;
        }
        PG_END_TRY();
        if (failed) throw PgError(caught);
        return result;
    }
}

// Everything sql_entry needs to raise an error after the C++ frames are gone.
struct PendingError {
    ErrorData* postgres = nullptr;  // re-thrown unchanged
    int sqlstate = 0;
    char* message = nullptr;
    char* detail = nullptr;
    char* hint = nullptr;
};

void capture_current_exception(PendingError& pending) noexcept;
// ereport(ERROR) with the contract's fields, or in PostgREST's PGRST form for a PostgREST
// request (error_report.cpp). Called with no C++ object alive on the stack.
[[noreturn]] void raise_error(int sqlerrcode, const char* message, const char* detail, const char* hint);
// Records conflicts and lock timeouts for telemetry, then raises the error.
[[noreturn]] void raise_pending(const PendingError& pending, const EntryPoint& entry, FunctionCallInfo fcinfo);

template <typename Body>
Datum sql_entry(FunctionCallInfo fcinfo, const EntryPoint& entry, Body&& body) {
    PendingError pending;
    try {
        // Before the arguments: on a standby no request can succeed, whatever it asks.
        if (entry.writes) require_primary(entry.function);
        return body(fcinfo);
    } catch (...) {
        capture_current_exception(pending);
    }
    raise_pending(pending, entry, fcinfo);
}

}  // namespace allocator::pg

// Defines the C symbol PostgreSQL calls for SQL function `name`, running `body` (a function
// taking FunctionCallInfo and returning Datum) under sql_entry. `booking_argument` is the
// index of the booking uuid argument for conflict telemetry, -1 if none. A function that
// only reads is an ALLOCATOR_SQL_FUNCTION; one that writes is an ALLOCATOR_WRITING_FUNCTION,
// refused with 25006 on a hot standby before it reads its arguments.
#define ALLOCATOR_SQL_ENTRY(name, booking_argument, writes, body)                      \
    extern "C" {                                                                       \
    PG_FUNCTION_INFO_V1(name);                                                         \
    Datum name(PG_FUNCTION_ARGS) {                                                     \
        static const allocator::pg::EntryPoint entry{#name, booking_argument, writes}; \
        return allocator::pg::sql_entry(fcinfo, entry, body);                          \
    }                                                                                  \
    }
#define ALLOCATOR_SQL_FUNCTION(name, booking_argument, body) ALLOCATOR_SQL_ENTRY(name, booking_argument, false, body)
#define ALLOCATOR_WRITING_FUNCTION(name, booking_argument, body) ALLOCATOR_SQL_ENTRY(name, booking_argument, true, body)
