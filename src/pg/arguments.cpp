#include "allocator/pg/arguments.hpp"

#include "allocator/core/errors.hpp"
#include "allocator/core/table_request.hpp"
#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

std::optional<Uuid> optional_uuid_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    return uuid_from_datum(PG_GETARG_DATUM(n));
}

Uuid required_uuid_arg(FunctionCallInfo fcinfo, int n, const char* name) {
    auto value = optional_uuid_arg(fcinfo, n);
    if (!value) {
        throw AllocatorError(SqlState::InvalidParameter, std::string(name) + " must not be NULL",
                             ErrorDetail("null_argument").add("argument", std::string(name)),
                             std::string("Pass a uuid for ") + name + ".");
    }
    return *value;
}

std::optional<std::vector<std::optional<Uuid>>> optional_uuid_array_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    Datum d = PG_GETARG_DATUM(n);
    ArrayType* array = pg_call([&] { return DatumGetArrayTypeP(d); });
    if (ARR_NDIM(array) > 1) {
        throw AllocatorError(SqlState::InvalidParameter, "table id arrays must be one-dimensional",
                             ErrorDetail("not_one_dimensional").add("dimensions", static_cast<long long>(ARR_NDIM(array))),
                             "Pass a flat array such as ARRAY['<table-id>', '<table-id>']::uuid[].");
    }
    return uuid_array_elements(array);
}

std::vector<Uuid> required_table_ids_arg(FunctionCallInfo fcinfo, int n) {
    auto raw = optional_uuid_array_arg(fcinfo, n);
    if (!raw) {
        throw AllocatorError(SqlState::InvalidParameter, "p_table_ids must not be NULL",
                             ErrorDetail("null_argument").add("argument", std::string("p_table_ids")),
                             "Pass an array of one or more table ids.");
    }
    return normalize_table_ids(*raw);
}

std::optional<std::string> optional_text_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    Datum d = PG_GETARG_DATUM(n);
    char* c = pg_call([&] { return TextDatumGetCString(d); });
    std::string out(c);
    pfree(c);
    return out;
}

bool bool_arg(FunctionCallInfo fcinfo, int n, bool when_null) {
    return PG_ARGISNULL(n) ? when_null : PG_GETARG_BOOL(n);
}

std::optional<Timestamp> optional_timestamp_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    return PG_GETARG_TIMESTAMPTZ(n);
}

std::optional<std::string> idempotency_key_arg(FunctionCallInfo fcinfo, int n) {
    auto key = optional_text_arg(fcinfo, n);
    if (key && (key->empty() || key->size() > 255)) {
        throw AllocatorError(SqlState::InvalidParameter, "p_idempotency_key must be 1 to 255 bytes long",
                             ErrorDetail("bad_idempotency_key").add("length", static_cast<long long>(key->size())),
                             "Pass NULL for no key, or a request identifier such as a uuid.");
    }
    return key;
}

}  // namespace allocator::pg
