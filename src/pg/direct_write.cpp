#include "allocator/pg/direct_write.hpp"

#include <stdexcept>
#include <string>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/index_read.hpp"
#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

constexpr int kMaxColumns = 16;

// Each attribute's default (nullptr: none, so NULL), prepared as the planner prepares an
// INSERT's: build_column_default, then expression_planner inside ExecPrepareExpr.
ExprState** prepare_defaults(Relation relation, EState* estate) {
    const TupleDesc desc = RelationGetDescr(relation);
    auto** defaults = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * desc->natts));
    for (int i = 0; i < desc->natts; ++i) {
        const Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (attribute->attisdropped || !attribute->atthasdef) continue;
        Node* expression = build_column_default(relation, i + 1);
        if (expression != nullptr) defaults[i] = ExecPrepareExpr(reinterpret_cast<Expr*>(expression), estate);
    }
    return defaults;
}

}  // namespace

DirectWrite::DirectWrite(std::initializer_list<const char*> tables) {
    if (tables.size() > kMaxTables) throw std::logic_error("DirectWrite: too many tables");
    std::array<Oid, kMaxTables> ids{};
    for (const char* name : tables) ids[count_++] = extension_relation_id(name);
    pg_call([&] {
        estate_ = CreateExecutorState();
        const MemoryContext caller = MemoryContextSwitchTo(estate_->es_query_cxt);
        List* range_table = NIL;
        for (int i = 0; i < count_; ++i) {
            relations_[i] = table_open(ids[i], RowExclusiveLock);
            RangeTblEntry* entry = makeNode(RangeTblEntry);
            entry->rtekind = RTE_RELATION;
            entry->relid = ids[i];
            entry->relkind = relations_[i]->rd_rel->relkind;
            entry->rellockmode = RowExclusiveLock;
            range_table = lappend(range_table, entry);
        }
#if PG_VERSION_NUM >= 160000
        ExecInitRangeTable(estate_, range_table, NIL);
#else
        ExecInitRangeTable(estate_, range_table);
#endif
        for (int i = 0; i < count_; ++i) {
            if (relations_[i]->rd_rel->relkind != RELKIND_RELATION)
                ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                                errmsg("allocator: %s is not a plain table", RelationGetRelationName(relations_[i]))));
            infos_[i] = makeNode(ResultRelInfo);
            InitResultRelInfo(infos_[i], relations_[i], static_cast<Index>(i + 1), nullptr, 0);
            estate_->es_opened_result_relations = lappend(estate_->es_opened_result_relations, infos_[i]);
            ExecOpenIndices(infos_[i], false);
            slots_[i] = table_slot_create(relations_[i], &estate_->es_tupleTable);
        }
        snapshot_ = register_statement_snapshot();
        estate_->es_snapshot = snapshot_;
        estate_->es_output_cid = GetCurrentCommandId(true);
        PushActiveSnapshot(snapshot_);
        AfterTriggerBeginQuery();
        MemoryContextSwitchTo(caller);
    });
}

void DirectWrite::insert(int table, std::initializer_list<ColumnValue> values) {
    if (table < 0 || table >= count_ || values.size() > kMaxColumns) throw std::logic_error("DirectWrite: bad insert");
    std::array<AttrNumber, kMaxColumns> attributes{};
    int n = 0;
    for (const ColumnValue& v : values) attributes[n++] = attribute_number(relations_[table], v.column);
    pg_call([&] {
        const MemoryContext caller = MemoryContextSwitchTo(estate_->es_query_cxt);
        if (defaults_[table] == nullptr) defaults_[table] = prepare_defaults(relations_[table], estate_);
        TupleTableSlot* slot = slots_[table];
        const int natts = slot->tts_tupleDescriptor->natts;
        ExecClearTuple(slot);
        for (int i = 0; i < natts; ++i) {
            slot->tts_values[i] = static_cast<Datum>(0);
            slot->tts_isnull[i] = true;
        }
        int given = 0;
        for (const ColumnValue& v : values) {
            slot->tts_values[attributes[given] - 1] = v.value.value;
            slot->tts_isnull[attributes[given] - 1] = v.value.is_null;
            ++given;
        }
        ExprContext* econtext = GetPerTupleExprContext(estate_);
        for (int i = 0; i < natts; ++i) {
            bool is_given = false;
            for (int k = 0; k < given; ++k) is_given = is_given || attributes[k] == i + 1;
            if (!is_given && defaults_[table][i] != nullptr)
                slot->tts_values[i] = ExecEvalExpr(defaults_[table][i], econtext, &slot->tts_isnull[i]);
        }
        ExecStoreVirtualTuple(slot);
        ExecSimpleRelationInsert(infos_[table], estate_, slot);
        MemoryContextSwitchTo(caller);
    });
}

Datum DirectWrite::inserted(int table, const char* column) const {
    if (table < 0 || table >= count_) throw std::logic_error("DirectWrite: bad table");
    const AttrNumber attribute = attribute_number(relations_[table], column);
    bool is_null = true;
    const Datum value = pg_call([&] { return slot_getattr(slots_[table], attribute, &is_null); });
    if (is_null) throw std::logic_error(std::string("DirectWrite: NULL in column ") + column);
    return value;
}

void DirectWrite::finish() {
    pg_call([&] {
        // The AFTER row triggers, the foreign-key checks among them, as the executor fires
        // them when a statement finishes: under the write's snapshot, and with seq scans and
        // JIT off, as Statement::execute runs its statements and so their triggers
        // (push_index_plans_only): a foreign-key check's query is planned on its first run and kept
        // for the backend, and a plan made while the referenced table was near-empty would
        // scan it whole ever after.
        const int level = push_index_plans_only();
        AfterTriggerEndQuery(estate_);
        AtEOXact_GUC(true, level);
        PopActiveSnapshot();
        for (int i = 0; i < count_; ++i) {
            ExecCloseIndices(infos_[i]);
            // NoLock: the RowExclusiveLock stays to the end of the transaction.
            table_close(relations_[i], NoLock);
        }
        ExecResetTupleTable(estate_->es_tupleTable, false);
        FreeExecutorState(estate_);
        UnregisterSnapshot(snapshot_);
        CommandCounterIncrement();
    });
    estate_ = nullptr;
    snapshot_ = nullptr;
    count_ = 0;
}

}  // namespace allocator::pg
