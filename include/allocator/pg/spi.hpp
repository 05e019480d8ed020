// SPI access: every SQL statement the extension runs is named here, its text lives in
// statements.cpp, and its plan is prepared once per backend and kept.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/postgres.hpp"

namespace allocator::pg {

// Order matches kStatements in statements.cpp.
enum class Statement : int {
    LoadFlags,
    LoadBooking,
    LoadLedger,
    LoadBookingAssignments,
    LoadTables,
    LoadEdges,
    LoadOccupants,
    InsertAssignments,
    AdoptMergeGroup,
    InsertLedger,
    PinZone,
    LoadAssignmentResult,
    DeleteAssignments,
    DissolveSingleTableMergeGroups,
    DeleteOrphanMergeGroups,
    ClearZonePinIfUnassigned,
    DeleteHolds,
    InsertHold,
    LoadHold,
    LoadHoldForUpdate,
    DeleteHold,
    SweepExpiredHolds,
    LoadServiceAccess,
    LoadCallerAccess,
    Count
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

// A row of the last executed statement.
class Row {
public:
    Row(SPITupleTable* table, uint64 index) : table_(table), index_(index) {}
    bool is_null(int column) const;
    Uuid uuid(int column) const;
    std::optional<Uuid> optional_uuid(int column) const;
    Timestamp timestamp(int column) const;
    int integer(int column) const;
    long long bigint(int column) const;
    bool boolean(int column) const;
    std::string text(int column) const;
    std::vector<Uuid> uuid_array(int column) const;
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
void spi_connect(FunctionCallInfo fcinfo);
void spi_finish();

Rows execute(Statement statement, std::initializer_list<Param> params);

// execute() for statements that lock or delete hold rows another transaction may change
// meanwhile: at REPEATABLE READ and above, run in a subtransaction and retried on 40001.
// Any other error rolls the subtransaction back before it reaches the caller, so the
// caller's transaction (or savepoint, or EXCEPTION block) aborts as it would without one.
Rows execute_row_locking(Statement statement, std::initializer_list<Param> params);

// Conversions used outside SPI too (function arguments and results).
Uuid uuid_from_datum(Datum d);
Datum datum_from_uuid(const Uuid& id);
// Elements of a uuid[] argument, NULL elements kept as nullopt.
std::vector<std::optional<Uuid>> uuid_array_elements(ArrayType* array);

}  // namespace allocator::pg
