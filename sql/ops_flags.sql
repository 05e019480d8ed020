-- set_allocator_flag(p_name, p_enabled, p_reason): short or runbook names, an audit event
-- with old and new value, reason and caller, effect on every connection at once, errors.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();
SELECT name, env_name FROM allocator_flag_names() ORDER BY name;

------------------------------------------------------------------------------------------
-- 1. Short name: returns the row, records who and why, logs allocator.flag_changed.
------------------------------------------------------------------------------------------
SELECT name, enabled, reason, changed_by = session_user AS changed_by_me, changed_at = now() AS changed_now
  FROM set_allocator_flag('merges_enabled', false, 'incident 42: lock contention');
SELECT name, enabled, reason FROM allocator_flags ORDER BY name;
SELECT source, event_type, severity, restaurant_id, booking_id,
       context - 'session_user' AS context, context->>'session_user' = session_user AS session_user_recorded
  FROM observability_events WHERE event_type = 'allocator.flag_changed' ORDER BY id;
-- It takes effect at once: a merge is refused, a single table is not.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])$$) AS merge;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)])$$) AS single;

------------------------------------------------------------------------------------------
-- 2. Runbook names (case does not matter); reverting is the same call; a call that does
--    not change the value still records the reason and the event.
------------------------------------------------------------------------------------------
SELECT name, enabled, reason FROM set_allocator_flag('FEATURE_ALLOCATOR_MERGES_ENABLED', true, 'incident 42 resolved');
SELECT name, enabled FROM set_allocator_flag('feature_allocator_require_adjacency', true, 'adjacency drift');
SELECT name, enabled FROM set_allocator_flag(p_name => ' FEATURE_ALLOCATOR_CAPACITY_CHECK ', p_enabled => false, p_reason => 'symmetry');
SELECT name, enabled FROM set_allocator_flag('Capacity_Check', false, 'again');
SELECT name, enabled, reason FROM allocator_flags ORDER BY name;
SELECT context->>'flag' AS flag, context->>'env_name' AS env_name, context->'old' AS old, context->'new' AS new,
       context->>'reason' AS reason
  FROM observability_events WHERE event_type = 'allocator.flag_changed' ORDER BY id;
SELECT count(*) FROM set_allocator_flag('require_adjacency', false, 'revert');
SELECT count(*) FROM set_allocator_flag('capacity_check', true, 'revert');

------------------------------------------------------------------------------------------
-- 3. Every connection at once: another session's next call sees the flag.
------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('other', conninfo());
SELECT count(*) FROM set_allocator_flag('FEATURE_ALLOCATOR_MERGES_ENABLED', false, 'every connection');
SELECT * FROM dblink('other', $$SELECT try('SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)])')$$)
    AS r(other_session text);
SELECT count(*) FROM set_allocator_flag('FEATURE_ALLOCATOR_MERGES_ENABLED', true, 'every connection, revert');
SELECT * FROM dblink('other', $$SELECT try('SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)])')$$)
    AS r(other_session text);
SELECT dblink_disconnect('other');
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- 4. The caller's role: session_user and the role it SET ROLE to (PostgREST's pattern).
------------------------------------------------------------------------------------------
CREATE ROLE regress_ops_oncall;
GRANT EXECUTE ON FUNCTION set_allocator_flag(text, boolean, text) TO regress_ops_oncall;
SET ROLE regress_ops_oncall;
SELECT name, enabled, changed_by = session_user || ' as regress_ops_oncall' AS changed_by_both
  FROM set_allocator_flag('require_adjacency', true, 'on-call test');
-- The table itself stays closed to the role.
SELECT count(*) FROM allocator_flags;
RESET ROLE;
SELECT context->>'role' AS role, context->>'session_user' = session_user AS session_user_recorded
  FROM observability_events WHERE event_type = 'allocator.flag_changed' ORDER BY id DESC LIMIT 1;
REVOKE ALL ON FUNCTION set_allocator_flag(text, boolean, text) FROM regress_ops_oncall;
DROP ROLE regress_ops_oncall;

------------------------------------------------------------------------------------------
-- 5. Errors: 22023 before anything is written, JSON DETAIL, a HINT listing the names.
------------------------------------------------------------------------------------------
SELECT count(*) AS events_before FROM observability_events \gset
SELECT error_of($$SELECT set_allocator_flag('FEATURE_ALLOCATOR_TURBO', true, 'x')$$);
SELECT try_detail($$SELECT set_allocator_flag('turbo', true, 'x')$$);
SELECT try($$SELECT set_allocator_flag('merges_enabled', false, NULL)$$) AS null_reason,
       try($$SELECT set_allocator_flag('merges_enabled', false, '')$$) AS empty_reason,
       try($$SELECT set_allocator_flag('merges_enabled', false, '   ')$$) AS blank_reason,
       try($$SELECT set_allocator_flag(NULL, false, 'x')$$) AS null_name,
       try($$SELECT set_allocator_flag('merges_enabled', NULL, 'x')$$) AS null_enabled;
SELECT count(*) - :events_before AS events_written FROM observability_events;
SELECT name, enabled FROM allocator_flags WHERE name = 'merges_enabled';

------------------------------------------------------------------------------------------
-- 6. allocations_dual_write: off, the allocator stops mirroring (allocator_verify does not
--    check the mirror); back on, the mirror is rebuilt in the same call (docs/api.md#set_allocator_flag) and the
--    event says what the rebuild did.
------------------------------------------------------------------------------------------
SELECT ops_reset();
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT name, enabled FROM set_allocator_flag('FEATURE_ALLOCATIONS_DUAL_WRITE', false, 'incident 43: locks persist');
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)]);
SELECT count(*) FROM unassign_tables_atomic(b(1));
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT * FROM allocator_verify();
SELECT name, enabled FROM set_allocator_flag('FEATURE_ALLOCATIONS_DUAL_WRITE', true, 'incident 43 resolved');
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT * FROM allocator_verify();
SELECT context->'old' AS old, context->'new' AS new, context->'mirror_repair' AS mirror_repair
  FROM observability_events WHERE event_type = 'allocator.flag_changed' ORDER BY id;
SELECT event_type, severity, context->'changes' AS changes, context->'dual_write' AS dual_write
  FROM observability_events WHERE event_type = 'allocator.mirror_repaired';
-- Turning it on when it is on already does not repair.
SELECT count(*) FROM set_allocator_flag('allocations_dual_write', true, 'already on');
SELECT count(*) AS repairs FROM observability_events WHERE event_type = 'allocator.mirror_repaired';

DROP EXTENSION dblink;
SELECT ops_reset();
