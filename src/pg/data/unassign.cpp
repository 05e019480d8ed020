// SQL of an unassignment (data/unassign.hpp).
#include "allocator/pg/data/unassign.hpp"

#include <algorithm>

#include "allocator/pg/spi.hpp"

namespace allocator::pg {

namespace {

// The booking (one row with a null table when it has none) and one row per assignment.
const Statement kLoadContext{"load unassign context",
                             R"sql(
select b.restaurant_id, b.assigned_zone_id is not null as zone_pinned, a.table_id, a.start_at, a.end_at, a.merge_group_id
  from @extschema@.bookings b
  left join @extschema@.booking_table_assignments a on a.booking_id OPERATOR(pg_catalog.=) b.id
 where b.id OPERATOR(pg_catalog.=) $1
)sql",
                             {UUIDOID}};

enum ContextColumn { kRestaurantId = 1, kZonePinned, kTableId, kStart, kEnd, kMergeGroup };

// Child rows are deleted here rather than left to the ON DELETE CASCADE foreign keys: at
// REPEATABLE READ, PostgreSQL cross-checks a cascaded delete against the transaction's
// snapshot and fails with 40001 on rows committed after it, which our statements (running on
// the latest snapshot) legitimately remove. The cascades stay as the backstop.
// $1 booking, $2 tables removed, $3 tables whose merge group dissolves, $4 merge groups
// kept, $5 delete the booking's other merge_group mirror rows, $6 clear the zone pin.
const Statement kWriteUnassignment{"write unassignment",
                                   R"sql(
with mirror as (
    delete from @extschema@.allocations m
     where m.assignment_id OPERATOR(pg_catalog.=) any (
           select a.id from @extschema@.booking_table_assignments a
            where a.booking_id OPERATOR(pg_catalog.=) $1 and a.table_id OPERATOR(pg_catalog.=) any ($2))
    returning 1),
removed as (
    delete from @extschema@.booking_table_assignments a
     where a.booking_id OPERATOR(pg_catalog.=) $1 and a.table_id OPERATOR(pg_catalog.=) any ($2)
    returning a.table_id),
ledger as (
    delete from @extschema@.booking_assignment_idempotency l
     where l.booking_id OPERATOR(pg_catalog.=) $1 and l.table_ids OPERATOR(pg_catalog.&&) $2
    returning 1),
dissolved as (
    update @extschema@.booking_table_assignments a set merge_group_id = null
     where a.booking_id OPERATOR(pg_catalog.=) $1 and a.table_id OPERATOR(pg_catalog.=) any ($3)
    returning 1),
orphan_groups as (
    delete from @extschema@.allocations g
     where $5 and g.booking_id OPERATOR(pg_catalog.=) $1 and g.resource_type OPERATOR(pg_catalog.=) 'merge_group'
       and not g.resource_id OPERATOR(pg_catalog.=) any ($4)
    returning 1),
unpinned as (
    update @extschema@.bookings b set assigned_zone_id = null
     where $6 and b.id OPERATOR(pg_catalog.=) $1 and b.assigned_zone_id is not null
    returning 1)
select r.table_id from removed r
)sql",
                                   {UUIDOID, UUIDARRAYOID, UUIDARRAYOID, UUIDARRAYOID, BOOLOID, BOOLOID}};

}  // namespace

UnassignContext load_unassign_context(const Uuid& booking_id) {
    Rows rows = kLoadContext.execute({Param::of(booking_id)});
    UnassignContext context;
    for (uint64 i = 0; i < rows.size(); ++i) {
        const Row r = rows[i];
        context.restaurant_id = r.uuid(kRestaurantId);
        context.zone_pinned = r.boolean(kZonePinned);
        if (r.is_null(kTableId)) continue;
        context.existing.push_back(
            {r.uuid(kTableId), Window{r.timestamp(kStart), r.timestamp(kEnd)}, r.optional_uuid(kMergeGroup)});
    }
    return context;
}

std::vector<Uuid> write_unassignment(const Uuid& booking_id, const UnassignmentPlan& plan) {
    Rows rows = kWriteUnassignment.execute(
        {Param::of(booking_id), Param::of(plan.removed), Param::of(plan.dissolved), Param::of(plan.kept_merge_groups),
         Param::of(plan.delete_orphan_merge_groups), Param::of(plan.clear_zone_pin)});
    std::vector<Uuid> removed;
    removed.reserve(rows.size());
    for (uint64 i = 0; i < rows.size(); ++i) removed.push_back(rows[i].uuid(1));
    std::sort(removed.begin(), removed.end());
    return removed;
}

}  // namespace allocator::pg
