// SPI access: statements with kept plans, bound parameters and typed reads of result rows.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

class Rows;

// Seq scans and JIT off at a GUC nest level of their own, for what is planned now and kept
// (statements, and the foreign-key checks their writes fire): a plan made while a hot table
// was near-empty would otherwise scan it whole ever after, and a disabled seq scan's cost
// would get a plan JIT-compiled. Returns the level for AtEOXact_GUC(true, level); an error
// pops it with the (sub)transaction. Raw PostgreSQL calls: inside pg_call.
int push_index_plans_only();
struct Param;

// One SQL statement the extension runs. Each use case defines its statements next to the
// code that reads their rows (src/pg/data/*.cpp). The text names the extension's tables
// @extschema@.name, replaced by the extension's schema when the plan is prepared, and every
// function and operator as pg_catalog's: nothing depends on search_path (docs/security.md).
//
// Plans are prepared once per backend, kept, and always generic: a statement is planned once,
// never again per call (custom plans for array parameters cost more than running the
// statement), and with seq scans disabled, so the plan probes the indexes whatever the
// statistics said when it was made. A generic plan made on near-empty hot tables would
// otherwise scan them whole until the next ANALYZE (bench/README.md, "the cliff").
class Statement {
public:
    Statement(const char* name, const char* sql, std::initializer_list<Oid> argtypes);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Rows execute(std::initializer_list<Param> params) const;
    // execute() for statements that lock or delete rows another transaction may change
    // meanwhile: at REPEATABLE READ and above, run in a subtransaction and retried on 40001.
    // Any other error rolls the subtransaction back before it reaches the caller, so the
    // caller's transaction (or savepoint, or EXCEPTION block) aborts as it would without one.
    Rows execute_row_locking(std::initializer_list<Param> params) const;

    const char* name() const { return name_; }

private:
    SPIPlanPtr plan() const;

    const char* name_;
    const char* sql_;
    std::vector<Oid> argtypes_;
    mutable SPIPlanPtr plan_ = nullptr;
    mutable Oid plan_schema_ = InvalidOid;
};

// One bound parameter. Constructors convert core values to Datums in the current memory
// context (the SPI procedure context while connected).
struct Param {
    Datum value = 0;
    bool is_null = true;

    static Param null() { return {}; }
    static Param of(const Uuid& id);
    static Param of(const std::optional<Uuid>& id);
    static Param of(Timestamp ts);
    static Param of(const std::vector<Uuid>& ids);
    static Param of(const std::string& value);
    static Param of(const std::optional<std::string>& value);
    static Param of(bool flag);
    static Param of(int number);
    static Param of_datum(Datum value) { return Param{value, false}; }
};

// Conversions used outside SPI too (function arguments and results).
Uuid uuid_from_datum(Datum d);
Datum datum_from_uuid(const Uuid& id);
// Elements of a uuid[] argument, NULL elements kept as nullopt.
std::vector<std::optional<Uuid>> uuid_array_elements(ArrayType* array);
// A text Datum's string, and a uuid[] Datum's non-NULL elements (both detoasted as needed).
std::string text_of_datum(Datum d);
std::vector<Uuid> uuids_of_array_datum(Datum d);

// Typed reads of a row's columns, for every kind of row the extension reads: Derived gives
// is_null(column) and datum(column), which throws on NULL (Row: a statement's result;
// TableRead: a direct index read).
template <typename Derived>
class TypedColumns {
public:
    Uuid uuid(int column) const { return uuid_from_datum(self().datum(column)); }
    std::optional<Uuid> optional_uuid(int column) const {
        if (self().is_null(column)) return std::nullopt;
        return uuid(column);
    }
    Timestamp timestamp(int column) const { return DatumGetTimestampTz(self().datum(column)); }
    int integer(int column) const { return DatumGetInt32(self().datum(column)); }
    long long bigint(int column) const { return DatumGetInt64(self().datum(column)); }
    bool boolean(int column) const { return DatumGetBool(self().datum(column)); }
    std::string text(int column) const { return text_of_datum(self().datum(column)); }
    std::vector<Uuid> uuid_array(int column) const { return uuids_of_array_datum(self().datum(column)); }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// A row of the last executed statement.
class Row : public TypedColumns<Row> {
public:
    Row(SPITupleTable* table, uint64 index) : table_(table), index_(index) {}
    bool is_null(int column) const;
    Datum datum(int column) const;

private:
    SPITupleTable* table_;
    uint64 index_;
};

// Result of one execution; valid until the next execute.
class Rows {
public:
    Rows(SPITupleTable* table, uint64 count) : table_(table), count_(count) {}
    uint64 size() const { return count_; }
    bool empty() const { return count_ == 0; }
    Row operator[](uint64 i) const { return Row(table_, i); }

private:
    SPITupleTable* table_;
    uint64 count_;
};

// SPI_connect / SPI_finish, via pg_call. Not RAII on purpose: on error the transaction
// aborts and PostgreSQL itself unwinds the SPI stack. spi_connect also binds the schema the
// statements' @extschema@ stands for: the schema of the SQL function being called.
// MayCommit: a procedure called outside a transaction block, which may SPI_commit().
enum class SpiMode { Atomic, MayCommit };
void spi_connect(FunctionCallInfo fcinfo, SpiMode mode = SpiMode::Atomic);
void spi_finish();
// The extension's schema, as spi_connect() found it.
Oid extension_schema();

}  // namespace allocator::pg
