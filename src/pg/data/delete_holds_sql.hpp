// The SQL shape of every statement that deletes holds (data/holds.cpp, data/sweep.cpp).
#pragma once

// The statements that delete holds share their shape: `doomed(id)` names the holds, their
// members and mirror rows go first (explicitly, not by the cascades: data/unassign.cpp says
// why), then the holds, each with one event. Each delete finds its rows by `= any` of the
// doomed ids, an index condition: a join with `doomed` may be planned as a hash join over
// the whole table, which made every sweep batch read the whole backlog. Each statement's
// text is built from these at compile time.

// The CTEs `members` and `hold_mirror`, deleting the members and mirror rows of the holds
// whose ids are the uuid[] expression `ids`.
#define DELETE_HOLD_CHILDREN(ids)                               \
    "members as (delete from @extschema@.table_hold_members m " \
    "  where m.hold_id OPERATOR(pg_catalog.=) any (" ids        \
    ") returning 1), "                                          \
    "hold_mirror as (delete from @extschema@.allocations a "    \
    "  where a.hold_id OPERATOR(pg_catalog.=) any (" ids ") returning 1)"

// The CTE `events`: one event of `event_type` for each hold of the CTE `holds` (its rows have
// the columns of table_holds), its context the hold's with `extra_context` merged in.
#define HOLD_EVENTS(holds, event_type, extra_context)                                                     \
    "events as (insert into @extschema@.observability_events "                                            \
    "  (source, event_type, severity, restaurant_id, booking_id, context) "                               \
    "  select 'capacity.hold', " event_type                                                               \
    ", 'info', r.restaurant_id, r.booking_id, "                                                           \
    "  pg_catalog.jsonb_build_object('hold_id', r.id, 'table_ids', r.table_ids, 'start_at', r.start_at, " \
    "  'end_at', r.end_at, 'expires_at', r.expires_at, 'session_user', session_user) "                    \
    "  OPERATOR(pg_catalog.||) " extra_context " from " holds " r returning 1)"

#define DELETE_HOLDS(doomed, event_type, extra_context, result) \
    "with doomed as (" doomed                                                                             \
    "), "                                                                                                 \
    "doomed_ids as (select pg_catalog.array_agg(d.id) as ids from doomed d), "                            \
    DELETE_HOLD_CHILDREN("(select i.ids from doomed_ids i)::uuid[]")                                      \
    ", "                                                                                                  \
    "removed as (delete from @extschema@.table_holds h "                                                  \
    "  where h.id OPERATOR(pg_catalog.=) any ((select i.ids from doomed_ids i)::uuid[]) returning h.*), " \
    HOLD_EVENTS("removed", event_type, extra_context) " " result
