// Reads of the extension's own tables by index equality, without SPI or the executor.
//
// Why: a prepared statement still builds the executor state of every plan node on every
// call, and for the context read that start-up cost more than its few index probes
// (bench/README.md, "where the time goes"). These reads make the same probes directly, the
// way PostgreSQL reads its catalogs, on the snapshot Statement::execute would take at the same
// point, so they see exactly what a statement there would see. Writes are statements, or
// direct inserts that keep the executor's constraint, index and trigger work (direct_write.hpp).
//
// The tables are opened with AccessShareLock, held to the end of the transaction as a
// statement's are. No privilege or row-security check is made: callers are the extension's
// SECURITY DEFINER functions, which run as the tables' owner. Between spi_connect() and
// spi_finish(). On an error nothing is closed: the (sub)transaction's abort releases the
// relations, the scan's buffer pins and the snapshot, as it does for an executor cut short.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "allocator/core/time_window.hpp"
#include "allocator/core/uuid.hpp"
#include "allocator/pg/postgres.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

// The id of one of the extension's relations, by name; a PgError when its schema has none.
Oid extension_relation_id(const char* name);

// A column's attribute number in `relation`, by name (a column added by an update, placed
// last, is found as one created with the table); throws when it has none.
AttrNumber attribute_number(Relation relation, const char* column);

// Moves the command counter past this call's own writes, then registers the snapshot a
// statement here would run on (ReadSnapshot says which). Raises PostgreSQL errors: inside
// pg_call.
Snapshot register_statement_snapshot();

// The snapshot a run of reads shares: taken as Statement::execute takes one (the latest at
// REPEATABLE READ and above, the statement's under READ COMMITTED), after the command
// counter moves past this call's own writes.
class ReadSnapshot {
public:
    ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    Snapshot get() const { return snapshot_; }
    void release();

private:
    Snapshot snapshot_;
};

// One key of an index scan, for the index column of its position: equal to a uuid or a text
// (btree, or btree_gist's =), or a range that overlaps [start, end) (GiST's &&). A timestamp
// comparison (btree) names its column instead, so two keys can bound one column.
struct IndexKey {
    Datum value;
    StrategyNumber strategy;
    RegProcedure procedure;
    AttrNumber column = 0;  // 0: the key's position in the list, plus one
    static IndexKey uuid(const Uuid& id);
    static IndexKey text(const std::string& value);
    static IndexKey overlaps(const Window& window);
    // column < t, column >= t, column > t.
    static IndexKey before(AttrNumber column, Timestamp t);
    static IndexKey at_or_after(AttrNumber column, Timestamp t);
    static IndexKey after(AttrNumber column, Timestamp t);
};

// One of the extension's tables opened for reading `columns` (by name), through one of its
// indexes or, without one, whole. A GiST index may return rows its keys do not match (a
// lossy probe): callers check what they read.
class TableRead : public TypedColumns<TableRead> {
public:
    TableRead(const ReadSnapshot& snapshot, const char* table, const char* index,
              std::initializer_list<const char*> columns)
        : TableRead(snapshot.get(), table, index, columns) {}
    TableRead(Snapshot snapshot, const char* table, const char* index, std::initializer_list<const char*> columns);
    TableRead(const TableRead&) = delete;
    TableRead& operator=(const TableRead&) = delete;

    // Calls on_row() for each row whose leading index columns match `keys` (every row when
    // opened without an index), with the row's values readable below until it returns.
    template <typename OnRow>
    void each(std::initializer_list<IndexKey> keys, OnRow&& on_row) {
        begin(keys);
        while (next()) on_row();
    }
    void close();

    // The current row's values, by position in `columns` (and TypedColumns' typed reads).
    bool is_null(int column) const;
    Datum datum(int column) const;
    // Whether this transaction (or one of its subtransactions) wrote the current row.
    bool written_by_this_transaction() const;
    // The table's OID (until close()).
    Oid table_id() const { return RelationGetRelid(table_); }

private:
    void begin(std::initializer_list<IndexKey> keys);
    bool next();

    const char* table_name_;
    Snapshot snapshot_;
    Relation table_ = nullptr;
    Relation index_ = nullptr;
    IndexScanDesc index_scan_ = nullptr;
    TableScanDesc table_scan_ = nullptr;
    TupleTableSlot* slot_ = nullptr;
    std::vector<AttrNumber> columns_;
};

}  // namespace allocator::pg
