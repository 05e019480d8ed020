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

namespace {

struct ArrayShape {
    int ndim = 0;
    long long elements = 0;
};

// An array's dimensions, read from its header alone, so that a huge array is measured
// without being copied, detoasted or deconstructed: an expanded array (a PL/pgSQL variable)
// from its expanded header; a compressed or toasted one from a slice of its first bytes
// (the ndim, dataoffset and elemtype words and up to MAXDIM dimensions); a plain one in
// place.
ArrayShape array_shape(Datum d) {
    ArrayShape shape;
    pg_call([&] {
        auto* raw = reinterpret_cast<struct varlena*>(DatumGetPointer(d));
        int ndim = 0;
        const int* dims = nullptr;
        if (VARATT_IS_EXTERNAL_EXPANDED(raw)) {
            auto* expanded = reinterpret_cast<ExpandedArrayHeader*>(DatumGetEOHP(d));
            if (expanded->ea_magic != EA_MAGIC) elog(ERROR, "allocator: expanded datum is not an array");
            ndim = expanded->ndims;
            dims = expanded->dims;
        } else {
            constexpr auto kHeaderBytes = static_cast<int32>(sizeof(ArrayType) - VARHDRSZ + 2 * sizeof(int) * MAXDIM);
            auto* header = reinterpret_cast<ArrayType*>(
                VARATT_IS_EXTENDED(raw) ? pg_detoast_datum_slice(raw, 0, kHeaderBytes) : raw);
            ndim = ARR_NDIM(header);
            if (ndim < 0 || ndim > MAXDIM ||
                VARSIZE(header) < sizeof(ArrayType) + static_cast<std::size_t>(ndim) * sizeof(int))
                elog(ERROR, "allocator: malformed array header");
            dims = ARR_DIMS(header);
        }
        shape.ndim = ndim;
        // Saturating product: only the comparison with a small limit matters.
        constexpr long long kSaturated = 1LL << 40;
        shape.elements = ndim == 0 ? 0 : 1;
        for (int i = 0; i < ndim; ++i) {
            const long long dim = dims[i];
            shape.elements = dim <= 0 ? 0 : shape.elements > kSaturated / dim ? kSaturated : shape.elements * dim;
        }
    });
    return shape;
}

}  // namespace

std::optional<std::vector<std::optional<Uuid>>> optional_uuid_array_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    Datum d = PG_GETARG_DATUM(n);
    const ArrayShape shape = array_shape(d);
    if (shape.ndim > 1) {
        throw AllocatorError(SqlState::InvalidParameter, "table id arrays must be one-dimensional",
                             ErrorDetail("not_one_dimensional").add("dimensions", static_cast<long long>(shape.ndim)),
                             "Pass a flat array such as ARRAY['<table-id>', '<table-id>']::uuid[].");
    }
    // Before anything is copied: a 50-million-element array costs only this header read.
    check_table_array_size(shape.elements);
    ArrayType* array = pg_call([&] { return DatumGetArrayTypeP(d); });
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
