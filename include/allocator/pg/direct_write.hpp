// Rows written into the extension's tables without a plan: the way logical replication's
// apply worker writes them (ExecSimpleRelationInsert, -Update and -Delete on an EState of
// its own).
//
// Why: a prepared INSERT still builds the executor state of every plan node on each run, and
// for the assignment write (one CTE of four inserts and an update) that start-up and the CTE
// machinery cost about as much as the rows' own index and trigger work (bench/README.md).
//
// What a row still gets, as from an INSERT: the column defaults of every column not given,
// BEFORE and AFTER row triggers (the foreign-key checks among them, fired when finish() ends
// the write, as at the end of a statement), NOT NULL and CHECK constraints, and every index
// entry with its unique and exclusion checks; an update (update_column) gets the same, and the
// row locking of an UPDATE; a delete (delete_locked_row) its AFTER row triggers, the foreign
// keys' actions among them. What it does not get: statement-level triggers
// (the extension defines none on the tables written this way: sql/install/80_triggers.sql),
// privilege and row-security checks (callers are the extension's SECURITY DEFINER functions,
// which run as the tables' owner), partition routing (the tables are plain), RETURNING.
//
// Between spi_connect() and spi_finish(). On an error nothing is closed: the
// (sub)transaction's abort releases the relations, the snapshot and the trigger queue, as it
// does for a statement cut short.
#pragma once

#include <array>
#include <initializer_list>
#include <utility>
#include <vector>

#include "allocator/core/uuid.hpp"
#include "allocator/pg/postgres.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

// One column's value of a row to insert, by column name.
struct ColumnValue {
    const char* column;
    Param value;
};

class DirectWrite {
public:
    static constexpr int kMaxTables = 4;

    // Opens `tables` (the extension's, by name) with RowExclusiveLock, as a statement that
    // writes them would, then takes the write's snapshot the way Statement::execute does (the
    // latest at REPEATABLE READ and above, the statement's under READ COMMITTED, after the
    // command counter moves past this call's own writes): taken after the locks, so it sees
    // whatever a writer that held a conflicting lock committed.
    explicit DirectWrite(std::initializer_list<const char*> tables);
    DirectWrite(const DirectWrite&) = delete;
    DirectWrite& operator=(const DirectWrite&) = delete;

    // The write's snapshot, for reads that decide what to write (see ReadSnapshot).
    Snapshot snapshot() const { return snapshot_; }

    // Inserts one row into tables[table]: the given columns, every other its default.
    void insert(int table, std::initializer_list<ColumnValue> values);

    // UPDATE tables[table] SET column = value WHERE <primary key> = id AND column IS
    // DISTINCT FROM value, written directly; returns whether it updated the row. The primary
    // key is one uuid column. "Distinct" compares the stored bytes: a value equal under the
    // type's = but stored differently is written again, which changes nothing.
    //
    // The row is found on the write's snapshot and locked as an UPDATE locks it, so a writer
    // racing the update is met as an UPDATE statement meets it: under READ COMMITTED the call
    // waits for the writer's transaction, then updates the row as it left it (both rechecked,
    // as EvalPlanQual rechecks the WHERE clause) or nothing if it deleted the row; at
    // REPEATABLE READ and above a row changed by a transaction that committed while the call
    // waited is a serialization failure (40001), as from UPDATE. The row then gets what an
    // UPDATE gives it: BEFORE and AFTER row triggers (a trigger on other columns stays quiet;
    // the foreign-key checks fire at finish()), CHECK constraints, index entries unless
    // the update is HOT.
    bool update_column(int table, const Uuid& id, const char* column, const Param& value);

    // Locks the rows of `table` (one of the extension's, with a primary key of one uuid)
    // whose keys are `ids` FOR KEY SHARE, as a foreign-key check's query locks the row it
    // references: each found on the write's snapshot and, under READ COMMITTED, its latest
    // version once a writer changing its key has finished. Returns whether every row is
    // locked with its key; when not (no such row, or a concurrent writer changed it), it stops
    // there and the caller keeps the foreign-key checks, which then report or retry as they
    // always have.
    bool lock_referenced_rows(const char* table, const std::vector<Uuid>& ids);

    // A column of a table written here, and the extension's table its foreign key references.
    struct CoveredKey {
        const char* column;
        const char* referenced;
    };

    // Leaves out the foreign-key checks that `event` (CMD_INSERT: insert, CMD_UPDATE:
    // update_column) fires for the rows this write writes into tables[table], for a caller
    // that knows each would repeat a lock the write takes anyway (the referenced row, locked by
    // lock_referenced_rows, by update_column or by another row's check) or look up a row of this
    // very write. `covered` names the one-column foreign keys that holds for. Every other
    // trigger keeps firing, an added foreign key's check among them. A BEFORE row trigger could
    // change a covered column, so nothing is left out while the table has one for the event
    // other than the extension's functions named in `before_triggers` (which leave those
    // columns alone). Before the first write of the event to the table.
    void skip_foreign_key_checks(int table, CmdType event, std::initializer_list<CoveredKey> covered,
                                 std::initializer_list<const char*> before_triggers = {});

    // Whether rows of `table` (one of the extension's) can be deleted by delete_locked_row
    // with all that a DELETE statement would do to them: the table has no BEFORE ROW DELETE
    // trigger (which may keep a row, where the caller counts on every row it names going), no
    // statement-level DELETE trigger (which a direct write does not fire) and no DELETE trigger
    // with a transition table (which a direct write does not fill). Locks the table
    // RowExclusiveLock, as the delete does, to the end of the transaction, so no trigger is
    // created between this answer and the delete. Before the write is constructed.
    static bool deletes_directly(const char* table);

    // A foreign key of one of the extension's tables (`table`, its one column `column`) that
    // references a table written here.
    struct ReferencingKey {
        const char* table;
        const char* column;
    };

    // Leaves out the ON DELETE CASCADE actions of the foreign keys `covered` for the rows this
    // write deletes from tables[table], for a caller that has deleted every referencing row
    // itself, by a statement whose snapshot was taken after it locked the rows it deletes: a
    // referencing row committed later would have needed the key-share lock its foreign-key
    // check takes on the referenced row, which the caller's lock blocks, so each cascade would
    // find nothing. Every other trigger keeps firing, the actions of other foreign keys among
    // them. Before the first delete.
    void skip_cascaded_deletes(int table, std::initializer_list<ReferencingKey> covered);

    // DELETE FROM tables[table] WHERE <primary key> = id, written directly, for a row this
    // transaction has locked FOR UPDATE (nobody else can change it before the delete): found
    // on the write's snapshot and deleted, its AFTER ROW DELETE triggers (the foreign keys'
    // actions) fired at finish(). Returns whether there was such a row. The primary key is one
    // uuid column, and deletes_directly(table) holds.
    bool delete_locked_row(int table, const Uuid& id);

    // A column of the row last inserted into tables[table] (a default it was given, say),
    // valid until the next insert into that table; throws on NULL.
    Datum inserted(int table, const char* column) const;

    // Fires the AFTER row triggers the inserts queued (the foreign-key checks), then closes
    // everything and moves the command counter, so what follows sees the rows.
    void finish();

private:
    struct ColumnDefaults {
        ExprState** expressions = nullptr;  // by attnum - 1; nullptr: no default (NULL)
        bool* random_uuid = nullptr;        // the default is gen_random_uuid()
    };
    ColumnDefaults prepare_defaults(Relation relation);
    void note_updated_column(int table, AttrNumber attribute);

    EState* estate_ = nullptr;
    Snapshot snapshot_ = nullptr;
    int count_ = 0;
    std::array<Relation, kMaxTables> relations_{};
    std::array<ResultRelInfo*, kMaxTables> infos_{};
    std::array<TupleTableSlot*, kMaxTables> slots_{};
    // Per table, the default of each attribute, prepared when first needed.
    std::array<ColumnDefaults, kMaxTables> defaults_{};
};

}  // namespace allocator::pg
