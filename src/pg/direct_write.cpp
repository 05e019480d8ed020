#include "allocator/pg/direct_write.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "allocator/pg/guard.hpp"
#include "allocator/pg/index_read.hpp"
#include "allocator/pg/random_uuid.hpp"
#include "allocator/pg/spi.hpp"

#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"  // addRTEPermissionInfo
#endif

namespace allocator::pg {

namespace {

constexpr int kMaxColumns = 16;

// Whether a column's default is exactly gen_random_uuid() (every id column of the tables
// written here): the write then draws its values itself, as gen_random_uuid() makes them.
bool is_random_uuid_default(const Node* expression) {
    return expression != nullptr && IsA(expression, FuncExpr) &&
           reinterpret_cast<const FuncExpr*>(expression)->funcid == F_GEN_RANDOM_UUID;
}

// A version 4 uuid, as gen_random_uuid() makes it, from the backend's pool (random_uuid.hpp),
// in the current memory context.
Datum random_uuid_datum() {
    const Uuid drawn = draw_random_uuid();
    auto* id = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
    std::memcpy(id->data, drawn.bytes.data(), UUID_LEN);
    return UUIDPGetDatum(id);
}

}  // namespace

// Each attribute's default (nullptr: none, so NULL), prepared as the planner prepares an
// INSERT's: build_column_default, then expression_planner inside ExecPrepareExpr; or marked
// random_uuid when it is gen_random_uuid() (random_uuid_datum()).
DirectWrite::ColumnDefaults DirectWrite::prepare_defaults(Relation relation) {
    const TupleDesc desc = RelationGetDescr(relation);
    ColumnDefaults defaults;
    defaults.expressions = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * desc->natts));
    defaults.random_uuid = static_cast<bool*>(palloc0(sizeof(bool) * desc->natts));
    for (int i = 0; i < desc->natts; ++i) {
        const Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (attribute->attisdropped || !attribute->atthasdef) continue;
        Node* expression = build_column_default(relation, i + 1);
        if (is_random_uuid_default(expression))
            defaults.random_uuid[i] = true;
        else if (expression != nullptr)
            defaults.expressions[i] = ExecPrepareExpr(reinterpret_cast<Expr*>(expression), estate_);
    }
    return defaults;
}

namespace {

// The parsed CHECK constraints of the tables written, kept for the backend. ExecConstraints
// would parse each constraint's stored text (stringToNode) again on every write, a third of an
// assign's constraint work and the larger part of it (bench/README.md). What is kept is only the
// parse, checked against the relation's current text on every use, so a constraint added,
// dropped or replaced is parsed afresh; planning the expression (expression_planner, which
// inlines functions as they are now) and building its state stay per write, as in ExecRelCheck.
struct ParsedChecks {
    Oid relation = InvalidOid;
    int count = 0;
    char** sources = nullptr;  // ccbin of each constraint, as parsed
    Node** trees = nullptr;
    MemoryContext memory = nullptr;
};
constexpr int kParsedCheckTables = 8;
std::array<ParsedChecks, kParsedCheckTables> parsed_checks;
int next_parsed_checks = 0;  // the entry a table not yet kept replaces

bool same_sources(const ParsedChecks& kept, const TupleConstr* constr) {
    if (kept.count != constr->num_check) return false;
    for (int i = 0; i < kept.count; ++i)
        if (std::strcmp(kept.sources[i], constr->check[i].ccbin) != 0) return false;
    return true;
}

// `relation`'s CHECK constraints parsed, in the relcache's order (constr->check). Not to be
// modified: the caller plans a copy.
Node* const* parsed_checks_of(Relation relation) {
    const TupleConstr* constr = relation->rd_att->constr;
    ParsedChecks* entry = nullptr;
    for (ParsedChecks& kept : parsed_checks)
        if (kept.relation == RelationGetRelid(relation)) entry = &kept;
    if (entry != nullptr && same_sources(*entry, constr)) return entry->trees;
    if (entry == nullptr) {
        entry = &parsed_checks[next_parsed_checks];
        next_parsed_checks = (next_parsed_checks + 1) % kParsedCheckTables;
    }
    if (entry->memory != nullptr) MemoryContextDelete(entry->memory);
    *entry = ParsedChecks{};
    const MemoryContext memory =
        AllocSetContextCreate(CacheMemoryContext, "allocator parsed checks", ALLOCSET_SMALL_SIZES);
    const MemoryContext caller = MemoryContextSwitchTo(memory);
    const int count = constr->num_check;
    auto** sources = static_cast<char**>(palloc(sizeof(char*) * count));
    auto** trees = static_cast<Node**>(palloc(sizeof(Node*) * count));
    for (int i = 0; i < count; ++i) {
        sources[i] = pstrdup(constr->check[i].ccbin);
        trees[i] = static_cast<Node*>(stringToNode(sources[i]));
    }
    MemoryContextSwitchTo(caller);
    *entry = ParsedChecks{RelationGetRelid(relation), count, sources, trees, memory};
    return trees;
}

// What ExecRelCheck prepares when it first checks a row of `info`, from the kept parse: done
// before the executor looks, it finds them prepared.
void prepare_checks(ResultRelInfo* info, EState* estate) {
    const TupleConstr* constr = info->ri_RelationDesc->rd_att->constr;
    if (constr == nullptr || constr->num_check == 0 || info->ri_ConstraintExprs != nullptr) return;
    Node* const* trees = parsed_checks_of(info->ri_RelationDesc);
    auto** prepared = static_cast<ExprState**>(palloc(sizeof(ExprState*) * constr->num_check));
    for (int i = 0; i < constr->num_check; ++i)
        prepared[i] = ExecPrepareExpr(static_cast<Expr*>(copyObjectImpl(trees[i])), estate);
    info->ri_ConstraintExprs = prepared;
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
#if PG_VERSION_NUM >= 160000
        List* permissions = NIL;  // where update_column notes the column it sets
#endif
        for (int i = 0; i < count_; ++i) {
            relations_[i] = table_open(ids[i], RowExclusiveLock);
            RangeTblEntry* entry = makeNode(RangeTblEntry);
            entry->rtekind = RTE_RELATION;
            entry->relid = ids[i];
            entry->relkind = relations_[i]->rd_rel->relkind;
            entry->rellockmode = RowExclusiveLock;
#if PG_VERSION_NUM >= 160000
            addRTEPermissionInfo(&permissions, entry);
#endif
            range_table = lappend(range_table, entry);
        }
#if PG_VERSION_NUM >= 160000
        ExecInitRangeTable(estate_, range_table, permissions);
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
        if (defaults_[table].expressions == nullptr) defaults_[table] = prepare_defaults(relations_[table]);
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
            if (is_given) continue;
            if (defaults_[table].random_uuid[i]) {
                slot->tts_values[i] = random_uuid_datum();
                slot->tts_isnull[i] = false;
            } else if (defaults_[table].expressions[i] != nullptr) {
                slot->tts_values[i] = ExecEvalExpr(defaults_[table].expressions[i], econtext, &slot->tts_isnull[i]);
            }
        }
        ExecStoreVirtualTuple(slot);
        prepare_checks(infos_[table], estate_);
        ExecSimpleRelationInsert(infos_[table], estate_, slot);
        MemoryContextSwitchTo(caller);
    });
}

namespace {

// Whether the row in `slot` has `id` in its uuid key column `key`.
bool has_key(TupleTableSlot* slot, AttrNumber key, Datum id) {
    bool key_null = true;
    const Datum stored_key = slot_getattr(slot, key, &key_null);
    return !key_null && datumIsEqual(stored_key, id, false, UUID_LEN);
}

// Whether the row in `slot` still qualifies for update_column: its primary key is `id` and
// `column` is distinct from `value`. Checked on the row found and again on the version an
// update chain led to (what EvalPlanQual rechecks for an UPDATE).
bool still_qualifies(TupleTableSlot* slot, AttrNumber key, Datum id, AttrNumber column, const Param& value) {
    if (!has_key(slot, key, id)) return false;
    const Form_pg_attribute attribute = TupleDescAttr(slot->tts_tupleDescriptor, column - 1);
    bool is_null = true;
    const Datum stored = slot_getattr(slot, column, &is_null);
    if (is_null || value.is_null) return is_null != value.is_null;
    return !datumIsEqual(stored, value.value, attribute->attbyval, attribute->attlen);
}

// The key column of `index`, the primary key of `relation`, when that key is one uuid column.
AttrNumber uuid_key_column(Relation relation, Relation index) {
    const AttrNumber key = index->rd_index->indkey.values[0];
    if (index->rd_index->indnkeyatts != 1 || TupleDescAttr(RelationGetDescr(relation), key - 1)->atttypid != UUIDOID)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("allocator: %s has no primary key of one uuid", RelationGetRelationName(relation))));
    return key;
}

// The primary key's index of the table `info` writes (already open: ExecOpenIndices opened
// every index of the table), and its one uuid column.
std::pair<Relation, AttrNumber> uuid_primary_key(const ResultRelInfo* info) {
    const Relation relation = info->ri_RelationDesc;
    for (int i = 0; i < info->ri_NumIndices; ++i) {
        const Relation index = info->ri_IndexRelationDescs[i];
        if (index->rd_index->indisprimary) return {index, uuid_key_column(relation, index)};
    }
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("allocator: %s has no primary key of one uuid", RelationGetRelationName(relation))));
    return {nullptr, 0};  // not reached
}

// Finds the row of `relation` whose key column `key_attribute` (of `index`) equals `id`, on
// `snapshot`, into `row`; whether there is one.
bool find_by_key(Relation relation, Relation index, AttrNumber key_attribute, const IndexKey& id, Snapshot snapshot,
                 TupleTableSlot* row) {
    ScanKeyData scan_key;
    ScanKeyEntryInitialize(&scan_key, 0, 1, id.strategy, InvalidOid, index->rd_indcollation[0], id.procedure, id.value);
    IndexScanDesc scan = index_beginscan(relation, index, snapshot, 1, 0);
    index_rescan(scan, &scan_key, 1, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, row);
    index_endscan(scan);
    return found && has_key(row, key_attribute, id.value);
}

}  // namespace

void DirectWrite::note_updated_column(int table, AttrNumber attribute) {
    RangeTblEntry* entry = exec_rt_fetch(infos_[table]->ri_RangeTableIndex, estate_);
    const int member = attribute - FirstLowInvalidHeapAttributeNumber;
#if PG_VERSION_NUM >= 160000
    RTEPermissionInfo* permission = getRTEPermissionInfo(estate_->es_rteperminfos, entry);
    permission->updatedCols = bms_add_member(permission->updatedCols, member);
#else
    entry->updatedCols = bms_add_member(entry->updatedCols, member);
#endif
}

bool DirectWrite::update_column(int table, const Uuid& id, const char* column, const Param& value) {
    if (table < 0 || table >= count_) throw std::logic_error("DirectWrite: bad update");
    const AttrNumber attribute = attribute_number(relations_[table], column);
    const IndexKey key = IndexKey::uuid(id);
    return pg_call([&] {
        const MemoryContext caller = MemoryContextSwitchTo(estate_->es_query_cxt);
        const Relation relation = relations_[table];
        const auto [index, key_attribute] = uuid_primary_key(infos_[table]);

        // Find the row as an UPDATE's scan would, on the write's snapshot.
        // In the write's tuple table, dropped (and its buffer pin released) by finish().
        TupleTableSlot* old_row = table_slot_create(relation, &estate_->es_tupleTable);
        bool found = find_by_key(relation, index, key_attribute, key, snapshot_, old_row) &&
                     still_qualifies(old_row, key_attribute, key.value, attribute, value);

        // Lock it as the UPDATE would: under READ COMMITTED, after waiting for a writer, the
        // row's latest version; above it, the version the snapshot saw or a 40001.
        if (found) {
            const bool follow_updates = !IsolationUsesXactSnapshot();
            TM_FailureData failure;
            const TM_Result locked = table_tuple_lock(relation, &old_row->tts_tid, snapshot_, old_row,
                                                      estate_->es_output_cid, LockTupleNoKeyExclusive, LockWaitBlock,
                                                      follow_updates ? TUPLE_LOCK_FLAG_FIND_LAST_VERSION : 0, &failure);
            switch (locked) {
                case TM_Ok:
                    if (failure.traversed) found = still_qualifies(old_row, key_attribute, key.value, attribute, value);
                    break;
                case TM_Updated:
                    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                                    errmsg("could not serialize access due to concurrent update")));
                    break;
                case TM_Deleted:
                    if (!follow_updates)
                        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                                        errmsg("could not serialize access due to concurrent delete")));
                    found = false;  // READ COMMITTED: the row is gone, nothing to update
                    break;
                case TM_SelfModified:
                    // Changed by this transaction after the snapshot: only this write's own
                    // command could have, and it writes a row once.
                    if (failure.cmax != estate_->es_output_cid)
                        ereport(ERROR, (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
                                        errmsg("tuple to be updated was already modified by an operation triggered "
                                               "by the current command")));
                    found = false;
                    break;
                default:
                    elog(ERROR, "allocator: unexpected table_tuple_lock result %d", static_cast<int>(locked));
            }
        }

        if (found) {
            TupleTableSlot* new_row = slots_[table];
            ExecClearTuple(new_row);
            slot_getallattrs(old_row);
            const int natts = new_row->tts_tupleDescriptor->natts;
            for (int i = 0; i < natts; ++i) {
                new_row->tts_values[i] = old_row->tts_values[i];
                new_row->tts_isnull[i] = old_row->tts_isnull[i];
            }
            new_row->tts_values[attribute - 1] = value.value;
            new_row->tts_isnull[attribute - 1] = value.is_null;
            ExecStoreVirtualTuple(new_row);
            // The column an UPDATE's target list names: decides the row lock of the BEFORE
            // triggers' fetch and which column-specific triggers fire.
            note_updated_column(table, attribute);
            EPQState recheck;
#if PG_VERSION_NUM >= 160000
            EvalPlanQualInit(&recheck, estate_, nullptr, NIL, -1, NIL);
#else
            EvalPlanQualInit(&recheck, estate_, nullptr, NIL, -1);
#endif
            prepare_checks(infos_[table], estate_);
            ExecSimpleRelationUpdate(infos_[table], estate_, &recheck, old_row, new_row);
            EvalPlanQualEnd(&recheck);
        }
        MemoryContextSwitchTo(caller);
        return found;
    });
}

bool DirectWrite::lock_referenced_rows(const char* table, const std::vector<Uuid>& ids) {
    const Oid table_id = extension_relation_id(table);
    return pg_call([&] {
        const MemoryContext caller = MemoryContextSwitchTo(estate_->es_query_cxt);
        // RowShareLock, as SELECT ... FOR KEY SHARE takes; both locks held to the end of the
        // transaction.
        const Relation relation = table_open(table_id, RowShareLock);
#if PG_VERSION_NUM >= 170000
        const Oid index_id = RelationGetPrimaryKeyIndex(relation, false);
#else
        const Oid index_id = RelationGetPrimaryKeyIndex(relation);
#endif
        bool locked = OidIsValid(index_id);
        if (locked) {
            const Relation index = index_open(index_id, AccessShareLock);
            const AttrNumber key_attribute = uuid_key_column(relation, index);
            // The flags of the check's FOR KEY SHARE (ExecLockRows): under READ COMMITTED the
            // row's latest version, after waiting for a writer that changes its key.
            int flags = TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS;
            if (!IsolationUsesXactSnapshot()) flags |= TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
            TupleTableSlot* row = table_slot_create(relation, &estate_->es_tupleTable);
            for (std::size_t i = 0; locked && i < ids.size(); ++i) {
                const IndexKey key = IndexKey::uuid(ids[i]);
                locked = find_by_key(relation, index, key_attribute, key, snapshot_, row);
                if (!locked) break;
                TM_FailureData failure;
                const TM_Result result =
                    table_tuple_lock(relation, &row->tts_tid, snapshot_, row, estate_->es_output_cid, LockTupleKeyShare,
                                     LockWaitBlock, flags, &failure);
                // Anything but the row locked as it was found, or a later version with the same
                // key, is left to the check itself, which then meets it as it always has.
                locked = result == TM_Ok && (!failure.traversed || has_key(row, key_attribute, key.value));
                ExecClearTuple(row);  // its buffer pin, before the next probe
            }
            index_close(index, NoLock);
        }
        table_close(relation, NoLock);
        MemoryContextSwitchTo(caller);
        return locked;
    });
}

namespace {

// Whether `trigger` calls one of the extension's functions named in `functions`.
bool calls_one_of(const Trigger& trigger, std::initializer_list<const char*> functions, Oid schema) {
    if (get_func_namespace(trigger.tgfoid) != schema) return false;
    const char* name = get_func_name(trigger.tgfoid);
    return name != nullptr &&
           std::any_of(functions.begin(), functions.end(), [&](const char* f) { return std::strcmp(f, name) == 0; });
}

bool fires_on(const Trigger& trigger, CmdType event) {
    switch (event) {
        case CMD_INSERT:
            return TRIGGER_FOR_INSERT(trigger.tgtype);
        case CMD_UPDATE:
            return TRIGGER_FOR_UPDATE(trigger.tgtype);
        case CMD_DELETE:
            return TRIGGER_FOR_DELETE(trigger.tgtype);
        default:
            return false;
    }
}

bool is_after_row(const Trigger& trigger, CmdType event) {
    return TRIGGER_FOR_ROW(trigger.tgtype) && TRIGGER_FOR_AFTER(trigger.tgtype) && fires_on(trigger, event);
}

// Gives `info` the same triggers less the AFTER ROW triggers of `event` that `is_left_out`
// picks, built in `memory`. Nothing has fired yet, so the per-trigger arrays of the
// ResultRelInfo (indexed by position, filled on first use) are all unset. Raw PostgreSQL calls.
template <typename IsLeftOut>
void leave_out_after_row_triggers(ResultRelInfo* info, CmdType event, MemoryContext memory, IsLeftOut&& is_left_out) {
    TriggerDesc* triggers = info->ri_TrigDesc;
    if (triggers == nullptr) return;
    auto* fewer = static_cast<TriggerDesc*>(MemoryContextAlloc(memory, sizeof(TriggerDesc)));
    *fewer = *triggers;
    fewer->triggers = static_cast<Trigger*>(MemoryContextAlloc(memory, sizeof(Trigger) * triggers->numtriggers));
    fewer->numtriggers = 0;
    bool& after_row = event == CMD_INSERT   ? fewer->trig_insert_after_row
                      : event == CMD_UPDATE ? fewer->trig_update_after_row
                                            : fewer->trig_delete_after_row;
    after_row = false;
    for (int i = 0; i < triggers->numtriggers; ++i) {
        const Trigger& trigger = triggers->triggers[i];
        if (is_after_row(trigger, event) && is_left_out(trigger)) continue;
        fewer->triggers[fewer->numtriggers++] = trigger;
        if (is_after_row(trigger, event)) after_row = true;
    }
    if (fewer->numtriggers == triggers->numtriggers) return;
    info->ri_TrigDesc = fewer->numtriggers == 0 ? nullptr : fewer;
}

}  // namespace

void DirectWrite::skip_foreign_key_checks(int table, CmdType event, std::initializer_list<CoveredKey> covered,
                                          std::initializer_list<const char*> before_triggers) {
    if (table < 0 || table >= count_ || covered.size() > kMaxColumns || (event != CMD_INSERT && event != CMD_UPDATE))
        throw std::logic_error("DirectWrite: bad skip_foreign_key_checks");
    // Each covered column with the table its foreign key must reference.
    std::array<std::pair<AttrNumber, Oid>, kMaxColumns> covered_keys{};
    int n = 0;
    for (const CoveredKey& key : covered)
        covered_keys[n++] = {attribute_number(relations_[table], key.column), extension_relation_id(key.referenced)};
    const Oid schema = extension_schema();
    pg_call([&] {
        const TriggerDesc* triggers = infos_[table]->ri_TrigDesc;
        if (triggers == nullptr) return;
        // A BEFORE trigger could set another value in a covered column: unless it is one of
        // the extension's own named here, which leave those columns alone, every check stays.
        for (int i = 0; i < triggers->numtriggers; ++i) {
            const Trigger& trigger = triggers->triggers[i];
            if (TRIGGER_FOR_ROW(trigger.tgtype) && TRIGGER_FOR_BEFORE(trigger.tgtype) && fires_on(trigger, event) &&
                !calls_one_of(trigger, before_triggers, schema))
                return;
        }
        List* foreign_keys = RelationGetFKeyList(relations_[table]);
        // A foreign key's check, left out: one column, covered, referencing the table given.
        leave_out_after_row_triggers(infos_[table], event, estate_->es_query_cxt, [&](const Trigger& trigger) {
            if (RI_FKey_trigger_type(trigger.tgfoid) != RI_TRIGGER_FK) return false;
            ListCell* cell = nullptr;
            foreach (cell, foreign_keys) {
                const auto* key = static_cast<const ForeignKeyCacheInfo*>(lfirst(cell));
                if (key->conoid != trigger.tgconstraint) continue;
                if (key->nkeys != 1) return false;
                return std::any_of(covered_keys.begin(), covered_keys.begin() + n, [&](const auto& c) {
                    return c.first == key->conkey[0] && c.second == key->confrelid;
                });
            }
            return false;
        });
    });
}

namespace {

// Whether foreign key `constraint` is one of `covered` ({referencing table, its column}) and
// references `referenced`. Raw PostgreSQL calls.
bool is_covered_reference(Oid constraint, Oid referenced,
                          const std::array<std::pair<Oid, AttrNumber>, DirectWrite::kMaxTables>& covered, int n) {
    HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint));
    if (!HeapTupleIsValid(tuple)) return false;
    const auto* form = reinterpret_cast<const FormData_pg_constraint*>(GETSTRUCT(tuple));
    bool is_null = true;
    const Datum keys = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_conkey, &is_null);
    bool matches = false;
    if (form->contype == CONSTRAINT_FOREIGN && form->confrelid == referenced && !is_null) {
        ArrayType* array = DatumGetArrayTypeP(keys);
        if (ARR_NDIM(array) == 1 && ARR_DIMS(array)[0] == 1 && !ARR_HASNULL(array)) {
            const AttrNumber column = reinterpret_cast<const int16*>(ARR_DATA_PTR(array))[0];
            matches = std::any_of(covered.begin(), covered.begin() + n,
                                  [&](const auto& c) { return c.first == form->conrelid && c.second == column; });
        }
    }
    ReleaseSysCache(tuple);
    return matches;
}

}  // namespace

void DirectWrite::skip_cascaded_deletes(int table, std::initializer_list<ReferencingKey> covered) {
    if (table < 0 || table >= count_ || covered.size() > kMaxTables)
        throw std::logic_error("DirectWrite: bad skip_cascaded_deletes");
    // Each covered foreign key as {referencing table, its column}.
    std::array<std::pair<Oid, AttrNumber>, kMaxTables> covered_keys{};
    int n = 0;
    for (const ReferencingKey& key : covered) {
        const Oid referencing = extension_relation_id(key.table);
        const AttrNumber column = pg_call([&] {
            const AttrNumber attribute = get_attnum(referencing, key.column);
            if (attribute == InvalidAttrNumber) elog(ERROR, "allocator: %s has no column %s", key.table, key.column);
            return attribute;
        });
        covered_keys[n++] = {referencing, column};
    }
    pg_call([&] {
        const Oid referenced = RelationGetRelid(relations_[table]);
        leave_out_after_row_triggers(infos_[table], CMD_DELETE, estate_->es_query_cxt, [&](const Trigger& trigger) {
            return trigger.tgfoid == F_RI_FKEY_CASCADE_DEL &&
                   is_covered_reference(trigger.tgconstraint, referenced, covered_keys, n);
        });
    });
}

bool DirectWrite::deletes_directly(const char* table) {
    const Oid table_id = extension_relation_id(table);
    return pg_call([&] {
        // RowExclusiveLock, as the delete takes, to the end of the transaction: CREATE TRIGGER
        // waits for it, so what is seen here is what the delete meets.
        const Relation relation = table_open(table_id, RowExclusiveLock);
        const TriggerDesc* triggers = relation->trigdesc;
        const bool direct =
            triggers == nullptr || !(triggers->trig_delete_before_row || triggers->trig_delete_before_statement ||
                                     triggers->trig_delete_after_statement || triggers->trig_delete_old_table);
        table_close(relation, NoLock);
        return direct;
    });
}

bool DirectWrite::delete_locked_row(int table, const Uuid& id) {
    if (table < 0 || table >= count_) throw std::logic_error("DirectWrite: bad delete");
    const IndexKey key = IndexKey::uuid(id);
    return pg_call([&] {
        const MemoryContext caller = MemoryContextSwitchTo(estate_->es_query_cxt);
        if (infos_[table]->ri_TrigDesc != nullptr && infos_[table]->ri_TrigDesc->trig_delete_before_row)
            elog(ERROR, "allocator: %s has BEFORE ROW DELETE triggers; delete it by a statement",
                 RelationGetRelationName(relations_[table]));
        const auto [index, key_attribute] = uuid_primary_key(infos_[table]);
        TupleTableSlot* row = slots_[table];
        const bool found = find_by_key(relations_[table], index, key_attribute, key, snapshot_, row);
        // Without BEFORE ROW triggers no recheck is ever needed (the row is locked): no EPQ state.
        if (found) ExecSimpleRelationDelete(infos_[table], estate_, nullptr, row);
        ExecClearTuple(row);  // its buffer pin
        MemoryContextSwitchTo(caller);
        return found;
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
