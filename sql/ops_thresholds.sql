-- allocator_alert_thresholds and set_allocator_alert_threshold(p_alert, p_threshold,
-- p_reason): seeded with the runbook's values, changed with an audit event, kept by pg_dump.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT ops_reset();

-- The shipped defaults (runbook: > 50 blocked, > 25 expired holds, > 10 conflicts a minute;
-- any telemetry insert failure).
SELECT alert, threshold FROM allocator_alert_thresholds ORDER BY alert;
SELECT alert, threshold FROM allocator_alerts() ORDER BY alert;

------------------------------------------------------------------------------------------
-- 1. Full or short alert name; allocator_alerts() uses the new value at once; the event
--    records old, new, reason and caller.
------------------------------------------------------------------------------------------
SELECT alert, threshold, reason, changed_by = session_user AS changed_by_me
  FROM set_allocator_alert_threshold('allocator.rpc_conflict_rate', 20, 'noisy for 3 days');
SELECT alert, threshold, reason
  FROM set_allocator_alert_threshold(p_alert => 'hold_expiry_backlog', p_threshold => 40.5, p_reason => 'big restaurant');
SELECT alert, threshold FROM allocator_alerts() ORDER BY alert;
SELECT source, event_type, severity, context - 'session_user' AS context,
       context->>'session_user' = session_user AS session_user_recorded
  FROM observability_events WHERE event_type = 'allocator.threshold_changed' ORDER BY id;
-- Zero is allowed: fire on any occurrence.
SELECT alert, threshold FROM set_allocator_alert_threshold('ALLOCATOR.LOCK_CONTENTION', 0, 'page on any wait');

------------------------------------------------------------------------------------------
-- 2. Errors: 22023 and nothing written.
------------------------------------------------------------------------------------------
SELECT count(*) AS events_before FROM observability_events \gset
SELECT error_of($$SELECT set_allocator_alert_threshold('allocator.cpu', 1, 'x')$$);
SELECT try_detail($$SELECT set_allocator_alert_threshold('allocator.cpu', 1, 'x')$$);
SELECT try($$SELECT set_allocator_alert_threshold('allocator.rpc_conflict_rate', -1, 'x')$$) AS negative,
       try($$SELECT set_allocator_alert_threshold('allocator.rpc_conflict_rate', NULL, 'x')$$) AS null_threshold,
       try($$SELECT set_allocator_alert_threshold(NULL, 1, 'x')$$) AS null_alert,
       try($$SELECT set_allocator_alert_threshold('allocator.rpc_conflict_rate', 1, ' ')$$) AS blank_reason,
       try($$SELECT set_allocator_alert_threshold('allocator.rpc_conflict_rate', 1, NULL)$$) AS null_reason;
SELECT count(*) - :events_before AS events_written FROM observability_events;
-- Direct writes are checked too.
SELECT sqlstate_of($$INSERT INTO allocator_alert_thresholds (alert, threshold) VALUES ('allocator.cpu', 1)$$) AS unknown_row,
       sqlstate_of($$UPDATE allocator_alert_thresholds SET threshold = -5 WHERE alert = 'allocator.lock_contention'$$) AS negative_row;

------------------------------------------------------------------------------------------
-- 3. pg_dump: the table is registered with pg_extension_config_dump, and restoring its
--    rows over the freshly seeded ones updates them (as allocator_flags does).
------------------------------------------------------------------------------------------
SELECT c.relname AS dumped_with_extension
  FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'allocator' AND c.relname IN ('allocator_alert_thresholds', 'allocator_flags')
 ORDER BY 1;
INSERT INTO allocator_alert_thresholds (alert, threshold, reason, changed_by, changed_at)
VALUES ('allocator.rpc_conflict_rate', 15, 'restored', 'dba', '2030-01-01 00:00+00'),
       ('allocator.hold_expiry_backlog', 30, 'restored', 'dba', '2030-01-01 00:00+00');
SELECT alert, threshold, reason,
       CASE WHEN reason = 'restored' THEN changed_by END AS changed_by,
       CASE WHEN reason = 'restored' THEN changed_at END AS changed_at
  FROM allocator_alert_thresholds ORDER BY alert;

------------------------------------------------------------------------------------------
-- 4. psql ergonomics: every function and table of the extension has a COMMENT (\df+, \d+).
------------------------------------------------------------------------------------------
SELECT CASE WHEN d.classid = 'pg_proc'::regclass THEN d.objid::regprocedure::text
            ELSE d.objid::regclass::text END AS without_comment
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'allocator'
 WHERE d.deptype = 'e'
   AND (d.classid = 'pg_proc'::regclass
        OR (d.classid = 'pg_class'::regclass AND (SELECT relkind FROM pg_class WHERE oid = d.objid) IN ('r', 'v')))
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL;
SELECT a.attname AS threshold_column_without_comment
  FROM pg_attribute a
 WHERE a.attrelid = 'allocator_alert_thresholds'::regclass AND a.attnum > 0
   AND col_description(a.attrelid, a.attnum) IS NULL;

SELECT ops_reset();
SELECT alert, threshold FROM allocator_alert_thresholds ORDER BY alert;

------------------------------------------------------------------------------------------
-- Issue 7 finding 6: a threshold is a finite number between 0 and 1e9. NaN (greater than
-- every number, so never "negative"), Infinity and 1e1000 would make an alert that can
-- never fire; each is 22023 bad_threshold and the threshold stays as it was.
------------------------------------------------------------------------------------------
SELECT try($$SELECT set_allocator_alert_threshold('rpc_conflict_rate', 'NaN', 'never fires')$$) AS nan;
SELECT try($$SELECT set_allocator_alert_threshold('rpc_conflict_rate', 'Infinity', 'never fires')$$) AS infinity;
SELECT try($$SELECT set_allocator_alert_threshold('rpc_conflict_rate', 1e1000, 'never fires')$$) AS huge;
SELECT try($$SELECT set_allocator_alert_threshold('rpc_conflict_rate', -1, 'below zero')$$) AS negative;
SELECT try_detail($$SELECT set_allocator_alert_threshold('rpc_conflict_rate', 'NaN', 'never fires')$$) AS detail;
SELECT threshold FROM allocator_alert_thresholds WHERE alert = 'allocator.rpc_conflict_rate';
-- The table refuses them too, whoever writes it.
SELECT try_state($$UPDATE allocator_alert_thresholds SET threshold = 'NaN' WHERE alert = 'allocator.rpc_conflict_rate'$$) AS nan_in_table;
SELECT (set_allocator_alert_threshold('rpc_conflict_rate', 1000000000, 'the largest allowed')).threshold AS largest;
SELECT (set_allocator_alert_threshold('rpc_conflict_rate', 10, 'back to the runbook default')).threshold AS restored;
