#include "allocator/core/postgrest_error.hpp"

#include "allocator/core/json_object.hpp"

namespace allocator {

std::optional<PostgrestStatus> postgrest_status(std::string_view sqlstate) {
    if (sqlstate == "22023") return PostgrestStatus{400, 0};  // bad argument
    if (sqlstate == "P0002") return PostgrestStatus{404, 0};  // booking, table or hold not found
    if (sqlstate == "23P01") return PostgrestStatus{409, 0};  // taken by another booking or hold
    // A rule the request breaks: 422, so a client tells "pick other tables" (409) from
    // "this request cannot succeed as asked" by the status alone.
    if (sqlstate == "23514") return PostgrestStatus{422, 0};
    if (sqlstate == "42501") return PostgrestStatus{403, 0};  // not staff of the restaurant
    if (sqlstate == "55P03") return PostgrestStatus{503, 1};  // lock not obtained in time: retry
    return std::nullopt;
}

std::string postgrest_error_body(std::string_view sqlstate, std::string_view message, const char* detail,
                                 const char* hint) {
    return JsonObject()
        .add("code", std::string(sqlstate))
        .add("message", std::string(message))
        .add("details", detail ? detail : "")
        .add("hint", hint ? hint : "")
        .to_json();
}

std::string postgrest_error_status(const PostgrestStatus& status) {
    JsonObject headers;
    if (status.retry_after_seconds > 0) headers.add("Retry-After", std::to_string(status.retry_after_seconds));
    return JsonObject().add("status", static_cast<long long>(status.status)).add_object("headers", headers).to_json();
}

}  // namespace allocator
