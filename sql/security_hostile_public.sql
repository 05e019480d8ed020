-- Issue 7, finding 1: a role that can only create objects in public plants functions and
-- operators there whose argument types match the allocator's calls better than
-- pg_catalog's polymorphic or variadic ones (test/fixtures/hostile_plants.sql). Under
-- 0.1.0's search_path (public, pg_temp) they ran as the owner: the role made itself
-- superuser, a planted && let an assign through another booking's live hold, and
-- allocator_verify() saw nothing. Every plant records each call it gets in attack_log and
-- tries to make its owner superuser; the suite drives every allocator function and then
-- expects an empty log.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

CREATE ROLE regress_attacker;
CREATE ROLE regress_service;
GRANT CREATE ON SCHEMA public TO regress_attacker;
SELECT count(*) > 0 AS granted FROM allocator_grant_access('regress_service', 'operator');

-- A live hold of booking 2 on M3, an expired one of booking 7 on M4 (before the plants:
-- put_hold, a test helper without a pinned search_path, would call them as superuser).
SELECT put_hold(1, b(2), ARRAY[t(3)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
SELECT put_hold(2, b(7), ARRAY[t(4)], '2030-06-01 20:00+00', '2030-06-01 22:00+00', now() - interval '1 minute');

-- The plants: test/fixtures/hostile_plants.sql.
SET ROLE regress_attacker;
\set ECHO none
\i test/fixtures/hostile_plants.sql
\set ECHO all
RESET ROLE;

-- The plants work where the path lets them in: a query of the service role's own that puts
-- public first calls them.
SET ROLE regress_service;
SET search_path = public, pg_catalog, allocator_test;
SELECT count(*) AS planted_unnest_reachable FROM unnest(ARRAY['0000000b-0000-4000-8000-000000000001'::uuid]);
SELECT tstzrange('2030-01-01', '2030-01-02') && tstzrange('2030-01-01', '2030-01-02') AS planted_overlap;
RESET search_path;
RESET ROLE;
SELECT planted FROM attack_log ORDER BY planted;
TRUNCATE attack_log;

------------------------------------------------------------------------------------------
-- Every allocator function, called by a role granted EXECUTE, with public first on its path.
------------------------------------------------------------------------------------------
SET ROLE regress_service;
SET search_path = public, pg_catalog, allocator_test;
SELECT count(*) AS assigned FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'key-1');
SELECT count(*) AS replayed FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], 'key-1');
-- The planted && would say a live hold of another booking does not overlap: still 23P01.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)])$$) AS over_live_hold;
SELECT (create_table_hold(b(7), ARRAY[t(7)], '5 minutes')).id AS hold_id \gset
SELECT count(*) AS confirmed FROM confirm_table_hold(:'hold_id', b(7), 'key-7');
SELECT (create_table_hold(b(7), ARRAY[t(8)], '5 minutes')).id AS hold_id \gset
SELECT release_table_hold(:'hold_id', b(7)) AS released;
SELECT sweep_expired_holds() AS swept;
SELECT count(*) AS unassigned FROM unassign_tables_atomic(b(1), ARRAY[t(2)]);
SELECT jsonb_typeof(manual_context(b(1))) AS context;
SELECT (set_allocator_flag('merges_enabled', true, 'regress: hostile public')).enabled AS flag;
SELECT (set_allocator_alert_threshold('rpc_conflict_rate', 10, 'regress: hostile public')).threshold AS threshold;
SELECT count(*) AS alerts FROM allocator_alerts();
SELECT count(*) AS repair_rows FROM allocator_repair_mirror();
SELECT problem FROM allocator_verify();
SELECT (allocator_telemetry_stats()).preloaded IS NOT NULL AS telemetry_stats;
SELECT try($$SELECT schedule_hold_sweeper()$$) AS schedule;
SELECT try($$SELECT unschedule_hold_sweeper()$$) AS unschedule;
RESET search_path;
RESET ROLE;

-- The telemetry worker's writer, and the schema's trigger functions, under the same path.
SET search_path = public, pg_catalog, allocator_test;
SELECT record_conflict_event(now(), 'assign_tables_atomic_v2', b(5), '23P01', 'regress conflict',
                             '{"reason": "assignment_overlap", "table_id": "0000000b-0000-4000-8000-000000000003"}', 'hint');
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(4), t(5));
-- t(4) is adjacent to t(5) of its zone now: it cannot move to the patio.
SELECT try($$UPDATE table_inventory SET zone_id = z(2) WHERE id = t(4)$$) AS move_adjacent_table;
RESET search_path;
SELECT context OPERATOR(pg_catalog.->>) 'table_id' = t(3)::text AS event_written FROM observability_events
 WHERE context OPERATOR(pg_catalog.->>) 'function' = 'assign_tables_atomic_v2' AND booking_id = b(5);

-- allocator_verify() sees a live hold over another booking's assignment although the
-- planted && says ranges never overlap (the hold is written past the functions).
INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
VALUES (h(3), b(2), r(1), z(1), ARRAY[t(1)], '2030-06-01 19:30+00', '2030-06-01 20:30+00', now() + interval '10 minutes');
INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
VALUES (h(3), t(1), '2030-06-01 19:30+00', '2030-06-01 20:30+00');
SET search_path = public, pg_catalog, allocator_test;
SELECT problem FROM allocator_verify() ORDER BY problem;
RESET search_path;

-- Nothing planted ran, and the attacker is no superuser.
SELECT planted, ran_as FROM attack_log ORDER BY planted;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_attacker';

DROP OWNED BY regress_attacker;
DROP OWNED BY regress_service;
REVOKE CREATE ON SCHEMA public FROM regress_attacker;
DROP ROLE regress_attacker;
SELECT allocator_revoke_access('regress_service');
DROP ROLE regress_service;
