-- The shared test helpers themselves (test/helpers/, extension allocator_test): each suite
-- reads its results through them, so they are checked once here.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
-- Nothing test-only is in public: the helpers live in their own schema.
SELECT count(*) AS helpers_in_public FROM pg_proc WHERE pronamespace = 'public'::regnamespace
   AND proname IN ('try', 'caught', 'fixture_reset', 't', 'counts', 'state_hash');
SELECT count(*) > 20 AS helpers_in_their_schema FROM pg_proc WHERE pronamespace = 'allocator_test'::regnamespace;
SELECT count(*) AS tables FROM table_inventory;
-- The helpers themselves: success, an error without a JSON DETAIL, and one with.
SELECT try($$SELECT 1$$);
SELECT try($$SELECT 1/0$$);
SELECT try($$DO 'BEGIN RAISE EXCEPTION ''x'' USING ERRCODE = ''23514'', DETAIL = ''{"reason": "demo"}''; END'$$);
SELECT bn(b(7)), tn(t(3)), hn(h(4)), utc('2030-06-01 19:00+00');
SELECT contract('{"reason": "x", "table_id": "0000000b-0000-4000-8000-000000000002", "other": 1}');

-- The one capture helper returns every part of an error.
SELECT state, message, detail, hint, constraint_name FROM caught($$SELECT 1$$);
SELECT state, message, detail, detail_text, hint FROM caught($$DO 'BEGIN RAISE EXCEPTION ''m'' USING ERRCODE = ''22023'', DETAIL = ''{"reason": "r"}'', HINT = ''h''; END'$$);
SELECT state, detail IS NULL AS detail_not_json, detail_text FROM caught($$DO 'BEGIN RAISE EXCEPTION ''m'' USING DETAIL = ''plain''; END'$$);
SELECT try_state($$INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(1), t(1))$$) AS self_adjacency;
SELECT error_of($$SELECT 1/0$$), sqlstate_of($$SELECT 1/0$$), error_of($$SELECT 1$$);
-- counts() and state_hash() see a write, and only a write.
SELECT state_hash() = state_hash() AS stable_without_writes;
SELECT state_hash() AS before \gset
SELECT * FROM counts();
SELECT put_hold(1, b(1), ARRAY[t(1)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '1 minute');
SELECT * FROM counts();
SELECT state_hash() <> :'before' AS changed_by_a_write;
