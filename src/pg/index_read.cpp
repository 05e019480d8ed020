#include "allocator/pg/index_read.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kMaxKeys = 3;

Relation open_relation(const char* name, bool index) {
    const Oid relid = extension_relation_id(name);
    return pg_call([&] { return index ? index_open(relid, AccessShareLock) : table_open(relid, AccessShareLock); });
}

}  // namespace

Oid extension_relation_id(const char* name) {
    const Oid schema = extension_schema();
    return pg_call([&] {
        const Oid relid = get_relname_relid(name, schema);
        if (!OidIsValid(relid))
            ereport(ERROR,
                    (errcode(ERRCODE_UNDEFINED_TABLE),
                     errmsg("allocator: relation %s is missing from the extension's schema", name),
                     errhint("Reinstall the extension: ALTER EXTENSION allocator UPDATE, or DROP and CREATE it.")));
        return relid;
    });
}

AttrNumber attribute_number(Relation relation, const char* column) {
    const TupleDesc desc = RelationGetDescr(relation);
    for (int i = 0; i < desc->natts; ++i) {
        const Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (!attribute->attisdropped && std::strcmp(NameStr(attribute->attname), column) == 0) return attribute->attnum;
    }
    throw std::logic_error(std::string("allocator: table ") + RelationGetRelationName(relation) + " has no column " +
                           column);
}

Snapshot register_statement_snapshot() {
    // As SPI does before a statement that may write: this call's own earlier writes become
    // visible, then the snapshot (see Statement::execute for which one).
    CommandCounterIncrement();
    return RegisterSnapshot(IsolationUsesXactSnapshot() ? GetLatestSnapshot() : GetTransactionSnapshot());
}

ReadSnapshot::ReadSnapshot() : snapshot_(pg_call([] { return register_statement_snapshot(); })) {}

void ReadSnapshot::release() {
    pg_call([&] { UnregisterSnapshot(snapshot_); });
    snapshot_ = nullptr;
}

// btree_gist numbers its = as btree does, so one key serves both kinds of index.
IndexKey IndexKey::uuid(const Uuid& id) {
    return IndexKey{datum_from_uuid(id), BTEqualStrategyNumber, F_UUID_EQ};
}

IndexKey IndexKey::text(const std::string& value) {
    ::text* t = pg_call([&] { return cstring_to_text_with_len(value.data(), static_cast<int>(value.size())); });
    return IndexKey{PointerGetDatum(t), BTEqualStrategyNumber, F_TEXTEQ};
}

IndexKey IndexKey::overlaps(const Window& window) {
    // tstzrange(start, end, '[)'), as the exclusion constraints index it.
    RangeType* range = pg_call([&] {
        TypeCacheEntry* type = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
        RangeBound lower{TimestampTzGetDatum(window.start), false, true, true};
        RangeBound upper{TimestampTzGetDatum(window.end), false, false, false};
#if PG_VERSION_NUM >= 160000
        return make_range(type, &lower, &upper, false, nullptr);
#else
        return make_range(type, &lower, &upper, false);
#endif
    });
    return IndexKey{RangeTypePGetDatum(range), RANGESTRAT_OVERLAPS, F_RANGE_OVERLAPS};
}

IndexKey IndexKey::before(AttrNumber column, Timestamp t) {
    return IndexKey{TimestampTzGetDatum(t), BTLessStrategyNumber, F_TIMESTAMPTZ_LT, column};
}

IndexKey IndexKey::at_or_after(AttrNumber column, Timestamp t) {
    return IndexKey{TimestampTzGetDatum(t), BTGreaterEqualStrategyNumber, F_TIMESTAMPTZ_GE, column};
}

IndexKey IndexKey::after(AttrNumber column, Timestamp t) {
    return IndexKey{TimestampTzGetDatum(t), BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT, column};
}

TableRead::TableRead(Snapshot snapshot, const char* table, const char* index,
                     std::initializer_list<const char*> columns)
    : table_name_(table), snapshot_(snapshot) {
    table_ = open_relation(table, false);
    if (index != nullptr) index_ = open_relation(index, true);
    slot_ = pg_call([&] { return table_slot_create(table_, nullptr); });
    // Columns by name, so a column added by an update (placed last) reads the same as one
    // created with the table.
    for (const char* name : columns) columns_.push_back(attribute_number(table_, name));
}

void TableRead::begin(std::initializer_list<IndexKey> keys) {
    if (index_ == nullptr) {
        if (keys.size() != 0) throw std::logic_error("a whole-table read takes no keys");
        pg_call([&] {
            if (table_scan_ != nullptr) table_endscan(table_scan_);
            table_scan_ = table_beginscan(table_, snapshot_, 0, nullptr);
        });
        return;
    }
    const int count = static_cast<int>(keys.size());
    // Keys in column order, as btree wants them.
    int position = 0;
    AttrNumber last_column = 0;
    bool ordered = true;
    for (const IndexKey& key : keys) {
        const AttrNumber column = key.column != 0 ? key.column : static_cast<AttrNumber>(position + 1);
        ordered = ordered && column >= last_column;
        last_column = column;
        ++position;
    }
    if (count == 0 || count > kMaxKeys || !ordered || last_column > IndexRelationGetNumberOfKeyAttributes(index_))
        throw std::logic_error(std::string("bad key count for an index read of ") + table_name_);
    std::array<ScanKeyData, kMaxKeys> scan_keys{};
    pg_call([&] {
        int n = 0;
        for (const IndexKey& key : keys) {
            const AttrNumber column = key.column != 0 ? key.column : static_cast<AttrNumber>(n + 1);
            ScanKeyEntryInitialize(&scan_keys[n], 0, column, key.strategy, InvalidOid,
                                   index_->rd_indcollation[column - 1], key.procedure, key.value);
            ++n;
        }
        if (index_scan_ != nullptr && index_scan_->numberOfKeys != count) {
            index_endscan(index_scan_);
            index_scan_ = nullptr;
        }
        if (index_scan_ == nullptr) index_scan_ = index_beginscan(table_, index_, snapshot_, count, 0);
        index_rescan(index_scan_, scan_keys.data(), count, nullptr, 0);
    });
}

bool TableRead::next() {
    return pg_call([&] {
        const bool found = index_scan_ != nullptr ? index_getnext_slot(index_scan_, ForwardScanDirection, slot_)
                                                  : table_scan_getnextslot(table_scan_, ForwardScanDirection, slot_);
        if (found) slot_getallattrs(slot_);
        return found;
    });
}

void TableRead::close() {
    pg_call([&] {
        ExecDropSingleTupleTableSlot(slot_);
        if (index_scan_ != nullptr) index_endscan(index_scan_);
        if (table_scan_ != nullptr) table_endscan(table_scan_);
        // NoLock: the AccessShareLock stays to the end of the transaction, as a statement's.
        if (index_ != nullptr) index_close(index_, NoLock);
        table_close(table_, NoLock);
    });
    slot_ = nullptr;
    index_scan_ = nullptr;
    table_scan_ = nullptr;
    index_ = nullptr;
    table_ = nullptr;
}

bool TableRead::is_null(int column) const {
    return slot_->tts_isnull[columns_.at(column) - 1];
}

Datum TableRead::datum(int column) const {
    if (is_null(column))
        throw std::logic_error(std::string("unexpected NULL in ") + table_name_ + " column " + std::to_string(column));
    return slot_->tts_values[columns_.at(column) - 1];
}

bool TableRead::written_by_this_transaction() const {
    return pg_call([&] {
        bool is_null = false;
        const Datum xmin = slot_getsysattr(slot_, MinTransactionIdAttributeNumber, &is_null);
        return !is_null && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
    });
}

}  // namespace allocator::pg
