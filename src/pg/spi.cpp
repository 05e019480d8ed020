#include "allocator/pg/spi.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/version_check.hpp"

namespace allocator::pg {

int push_index_plans_only() {
    const int level = NewGUCNestLevel();
    for (const char* name : {"enable_seqscan", "jit"})
        (void)set_config_option(name, "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    return level;
}

namespace {

constexpr std::size_t kMaxStatementArgs = 12;

// Plans live for the backend's lifetime (SPI_keepplan); the plan cache re-plans them
// when the tables change. They are prepared for one schema of the extension: if a call
// finds the extension in another schema (dropped and created again elsewhere), each
// statement's plan is dropped and prepared anew on its next use.
Oid bound_schema = InvalidOid;
std::string bound_schema_quoted;

std::string with_extension_schema(const char* sql) {
    static constexpr std::string_view kPlaceholder = "@extschema@";
    std::string text(sql);
    for (std::size_t at = text.find(kPlaceholder); at != std::string::npos;
         at = text.find(kPlaceholder, at + bound_schema_quoted.size())) {
        text.replace(at, kPlaceholder.size(), bound_schema_quoted);
    }
    return text;
}

// While a statement runs (and so while the plan cache makes or remakes its plan), seq scans
// are off at a GUC nest level of its own, popped afterwards; an error pops it with the
// (sub)transaction, as for a function's SET clause. So is JIT: a disabled seq scan still
// costs 1e10 where no index serves (allocator_flags' five rows), and a plan that expensive
// would be JIT-compiled on every run (400 ms for the context read).
class IndexPlansOnly {
public:
    IndexPlansOnly() : level_(pg_call([] { return push_index_plans_only(); })) {}
    void end() {
        pg_call([&] { AtEOXact_GUC(true, level_); });
    }

private:
    int level_;
};

// Ends the subtransaction execute_row_locking began, after an error in it, and returns to
// the caller's memory context and resource owner (which the subtransaction replaced).
void roll_back_subtransaction(MemoryContext context, ResourceOwner owner) {
    pg_call([] { RollbackAndReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(context);
    CurrentResourceOwner = owner;
}

}  // namespace

void spi_connect(FunctionCallInfo fcinfo, SpiMode mode) {
    // The extension is not relocatable, so the schema of the function being called is the
    // extension's schema: one syscache lookup, no search_path involved.
    const Oid schema = pg_call([&] { return get_func_namespace(fcinfo->flinfo->fn_oid); });
    if (schema != bound_schema) {
        char* quoted = pg_call([&] {
            char* name = get_namespace_name(schema);
            if (name == nullptr) elog(ERROR, "allocator: schema %u of the called function does not exist", schema);
            return pstrdup(quote_identifier(name));
        });
        bound_schema_quoted = quoted;
        pfree(quoted);
        bound_schema = schema;
    }
    pg_call([&] {
        if (SPI_connect_ext(mode == SpiMode::MayCommit ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
            elog(ERROR, "allocator: SPI_connect failed");
    });
    check_sql_version();
}

Oid extension_schema() {
    if (bound_schema == InvalidOid) throw std::logic_error("spi_connect(fcinfo) must run first");
    return bound_schema;
}

void spi_finish() {
    pg_call([] { SPI_finish(); });
}

Statement::Statement(const char* name, const char* sql, std::initializer_list<Oid> argtypes)
    : name_(name), sql_(sql), argtypes_(argtypes) {}

SPIPlanPtr Statement::plan() const {
    if (bound_schema == InvalidOid) throw std::logic_error("spi_connect(fcinfo) must run before any statement");
    if (plan_ && plan_schema_ == bound_schema) return plan_;
    if (plan_) pg_call([&] { SPI_freeplan(plan_); });
    plan_ = nullptr;
    // The name leads the text, so pg_stat_statements and pg_stat_activity say which statement
    // of the extension a query is (bench/profile.sh reads it back).
    const std::string sql = "/* allocator: " + std::string(name_) + " */" + with_extension_schema(sql_);
    plan_ = pg_call([&] {
        SPIPlanPtr p = SPI_prepare_cursor(sql.c_str(), static_cast<int>(argtypes_.size()),
                                          const_cast<Oid*>(argtypes_.data()), CURSOR_OPT_GENERIC_PLAN);
        if (p == nullptr)
            elog(ERROR, "allocator: SPI_prepare failed for %s: %s", name_, SPI_result_code_string(SPI_result));
        if (SPI_keepplan(p) != 0) elog(ERROR, "allocator: SPI_keepplan failed for %s", name_);
        return p;
    });
    plan_schema_ = bound_schema;
    return plan_;
}

Rows Statement::execute(std::initializer_list<Param> params) const {
    SPIPlanPtr prepared = plan();
    if (params.size() != argtypes_.size())
        throw std::logic_error(std::string("wrong parameter count for statement ") + name_);

    std::array<Datum, kMaxStatementArgs> values{};
    std::array<char, kMaxStatementArgs + 1> nulls{};
    if (params.size() > kMaxStatementArgs) throw std::logic_error(std::string("too many parameters for ") + name_);
    std::size_t i = 0;
    for (const Param& p : params) {
        values[i] = p.value;
        nulls[i] = p.is_null ? 'n' : ' ';
        ++i;
    }
    nulls[i] = '\0';
    // The checks must see what other transactions committed while we waited for our locks.
    // Under READ COMMITTED every statement takes a fresh snapshot anyway (read_only = false);
    // under REPEATABLE READ / SERIALIZABLE the transaction's snapshot is older than our locks,
    // so every statement runs on the latest snapshot instead, as PostgreSQL's own foreign-key
    // checks and cascades do: a hold committed by another session after our snapshot must
    // still block us, and a hold we delete must be the one that exists now.
    const bool use_latest = IsolationUsesXactSnapshot();
    IndexPlansOnly index_plans;
    int rc = pg_call([&] {
        return use_latest ? SPI_execute_snapshot(prepared, values.data(), nulls.data(), GetLatestSnapshot(),
                                                 InvalidSnapshot, false, true, 0)
                          : SPI_execute_plan(prepared, values.data(), nulls.data(), false, 0);
    });
    index_plans.end();
    if (rc < 0) throw std::runtime_error(std::string("SPI_execute_plan failed for ") + name_);
    return Rows(SPI_tuptable, SPI_processed);
}

Rows Statement::execute_row_locking(std::initializer_list<Param> params) const {
    if (!IsolationUsesXactSnapshot()) return execute(params);
    // At REPEATABLE READ and above, locking or deleting a row that another transaction changed
    // while we waited for it fails with 40001, whatever snapshot found it. Run the statement
    // in a subtransaction and, on that error, roll it back and run it again on a new latest
    // snapshot, which no longer sees the deleted row (or sees the row's new version).
    //
    // The subtransaction must end on every path, as a PL/pgSQL block with an EXCEPTION clause
    // ends its own (pl_exec.c, exec_stmt_block): on ANY error - a lock or statement timeout,
    // a cancel, a constraint violation, a C++ exception - it is rolled back and released and
    // the caller's memory context and resource owner restored before the error goes on up.
    // Left open, it would swallow the caller's next ROLLBACK (autocommit: every statement
    // after fails with 25P02 and ROLLBACK is FATAL), or be the one a caller's EXCEPTION
    // block or ROLLBACK TO SAVEPOINT rolls back instead of the caller's own, which then
    // commits the work it meant to undo. Only 40001 is retried.
    constexpr int kAttempts = 5;
    const MemoryContext context = CurrentMemoryContext;
    const ResourceOwner owner = CurrentResourceOwner;
    for (int attempt = 1;; ++attempt) {
        pg_call([] { BeginInternalSubTransaction(nullptr); });
        MemoryContextSwitchTo(context);
        try {
            // pg_call copies a PostgreSQL error into the current memory context, `context`,
            // which is the caller's (SPI's procedure context): the copy outlives the rollback.
            Rows rows = execute(params);
            pg_call([] { ReleaseCurrentSubTransaction(); });
            MemoryContextSwitchTo(context);
            CurrentResourceOwner = owner;
            return rows;
        } catch (const PgError& e) {
            roll_back_subtransaction(context, owner);
            if (e.sqlerrcode() != ERRCODE_T_R_SERIALIZATION_FAILURE || attempt == kAttempts) throw;
        } catch (...) {
            roll_back_subtransaction(context, owner);
            throw;
        }
    }
}

Uuid uuid_from_datum(Datum d) {
    Uuid id;
    std::memcpy(id.bytes.data(), DatumGetUUIDP(d)->data, id.bytes.size());
    return id;
}

Datum datum_from_uuid(const Uuid& id) {
    auto* raw = pg_call([] { return static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t))); });
    std::memcpy(raw->data, id.bytes.data(), id.bytes.size());
    return UUIDPGetDatum(raw);
}

std::vector<std::optional<Uuid>> uuid_array_elements(ArrayType* array) {
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    int count = 0;
    pg_call([&] { deconstruct_array(array, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elements, &nulls, &count); });
    std::vector<std::optional<Uuid>> out;
    out.reserve(count);
    for (int i = 0; i < count; ++i) {
        if (nulls[i])
            out.emplace_back(std::nullopt);
        else
            out.emplace_back(uuid_from_datum(elements[i]));
    }
    return out;
}

Param Param::of(const Uuid& id) {
    return Param{datum_from_uuid(id), false};
}

Param Param::of(const std::optional<Uuid>& id) {
    return id ? of(*id) : null();
}

Param Param::of(Timestamp ts) {
    return Param{TimestampTzGetDatum(ts), false};
}

Param Param::of(const std::vector<Uuid>& ids) {
    std::vector<Datum> datums;
    datums.reserve(ids.size());
    for (const Uuid& id : ids) datums.push_back(datum_from_uuid(id));
    ArrayType* array = pg_call([&] {
        return construct_array(datums.data(), static_cast<int>(datums.size()), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
    });
    return Param{PointerGetDatum(array), false};
}

Param Param::of(const std::string& value) {
    text* t = pg_call([&] { return cstring_to_text_with_len(value.data(), static_cast<int>(value.size())); });
    return Param{PointerGetDatum(t), false};
}

Param Param::of(const std::optional<std::string>& value) {
    return value ? of(*value) : null();
}

Param Param::of(bool flag) {
    return Param{BoolGetDatum(flag), false};
}

Param Param::of(int number) {
    return Param{Int32GetDatum(number), false};
}

bool Row::is_null(int column) const {
    bool isnull = false;
    SPI_getbinval(table_->vals[index_], table_->tupdesc, column, &isnull);
    return isnull;
}

Datum Row::datum(int column) const {
    bool isnull = false;
    Datum d = SPI_getbinval(table_->vals[index_], table_->tupdesc, column, &isnull);
    if (isnull) throw std::logic_error("unexpected NULL in column " + std::to_string(column));
    return d;
}

std::string text_of_datum(Datum d) {
    // ::text: the type, not a member function named text. Copied straight from the (usually
    // short-header, never copied) datum: no C string, palloc or strlen on the way, which the
    // floor read pays for every table's number and status.
    // A value stored inline and uncompressed (every short text) is read in place, without a
    // PG_TRY; only a compressed or out-of-line one is detoasted, which can raise an error.
    auto* stored = reinterpret_cast<::text*>(DatumGetPointer(d));
    ::text* t = stored;
    if (VARATT_IS_COMPRESSED(stored) || VARATT_IS_EXTERNAL(stored))
        t = pg_call([&] { return pg_detoast_datum_packed(stored); });
    std::string out(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    if (t != stored) pfree(t);
    return out;
}

std::vector<Uuid> uuids_of_array_datum(Datum d) {
    ArrayType* array = pg_call([&] { return DatumGetArrayTypeP(d); });
    std::vector<Uuid> out;
    for (const auto& element : uuid_array_elements(array)) {
        if (element) out.push_back(*element);
    }
    return out;
}

}  // namespace allocator::pg
