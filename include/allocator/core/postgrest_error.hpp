// The HTTP status each error of the contract means to a PostgREST caller, and the
// RAISE SQLSTATE 'PGRST' form that makes PostgREST answer with it (docs/supabase.md).
//
// PostgREST maps plain SQLSTATEs by class: P0002 and every 55xxx would be 500 (logged by
// Supabase as a server fault), 23P01 and 23514 would be 400 like bad input. An error raised
// as SQLSTATE PGRST carries its own status and headers instead: MESSAGE is the JSON body
// PostgREST sends ({"code", "message", "details", "hint"}, all strings), DETAIL is
// {"status": n, "headers": {...}}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace allocator {

struct PostgrestStatus {
    int status = 0;
    int retry_after_seconds = 0;  // a Retry-After header when above 0
};

// The status for an allocator SQLSTATE; nullopt leaves the error as it is (PostgREST's own
// mapping applies).
std::optional<PostgrestStatus> postgrest_status(std::string_view sqlstate);

// MESSAGE of the PGRST error: the response body, with `code` the original SQLSTATE.
// A missing detail or hint is sent as an empty string (PostgREST needs strings there).
std::string postgrest_error_body(std::string_view sqlstate, std::string_view message, const char* detail,
                                 const char* hint);
// DETAIL of the PGRST error: {"status": n, "headers": {...}} (headers always present).
std::string postgrest_error_status(const PostgrestStatus& status);

}  // namespace allocator
