-- assign_tables_atomic_v2: merges (more than one table). They need the merges_enabled flag
-- and movable tables; with p_require_adjacency or the require_adjacency flag the tables must
-- form one connected set of the undirected adjacency graph.
-- Fixture main zone: M1, M2, M3 movable, M4 fixed, M5 inactive, M6 out of service;
-- adjacency is the path M1 - M2 - M3, stored as (M1,M2) and (M3,M2).
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- A merge: every table gets one shared merge_group_id; a single table gets none.
------------------------------------------------------------------------------------------
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(1)]) ORDER BY 1;
SELECT count(DISTINCT merge_group_id) AS groups, count(*) FILTER (WHERE merge_group_id IS NULL) AS ungrouped
  FROM booking_table_assignments WHERE booking_id = b(1);
-- The function's result carries the stored merge_group_id.
SELECT count(*) AS rows_matching_storage
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)]) r
  JOIN booking_table_assignments a ON a.booking_id = b(1) AND a.table_id = r.table_id
                                 AND a.merge_group_id = r.merge_group_id;
SELECT tn(table_id), merge_group_id IS NULL AS single FROM assign_tables_atomic_v2(b(2), ARRAY[t(7)]);
-- Two bookings' merges are two groups.
SELECT tn(table_id) FROM unassign_tables_atomic(b(2));
SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7), t(8)]);
SELECT count(DISTINCT merge_group_id) AS groups FROM booking_table_assignments;

------------------------------------------------------------------------------------------
-- merges_enabled off: any merge is refused (23514 merges_disabled), also one built by
-- adding a table to a booking that has one; single tables still work.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = false WHERE name = 'merges_enabled';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)])$$) AS merge;
SELECT tn(table_id), merge_group_id IS NULL AS single FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)])$$) AS add_second_table;
-- Duplicates of one table are not a merge.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(2)]);
UPDATE allocator_flags SET enabled = true WHERE name = 'merges_enabled';
SELECT tn(table_id), merge_group_id IS NOT NULL AS merged FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)]);
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Only movable tables merge (23514 fixed_table_in_merge); a fixed table alone is fine.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(4)])$$) AS fixed_in_merge;
SELECT contract(try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(4)])$$));
SELECT tn(table_id), merge_group_id IS NULL AS single FROM assign_tables_atomic_v2(b(1), ARRAY[t(4)]);
-- Adding a movable table to a booking seated at a fixed one is a merge with a fixed table.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)])$$) AS add_to_fixed;
-- Inactive and out-of-service tables cannot join a merge either.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1), t(5)])$$) AS with_inactive;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1), t(6)])$$) AS with_out_of_service;
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Adjacency, required by the argument.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_a) AS a, tn(table_b) AS b FROM table_adjacencies WHERE table_a IN (t(1), t(2), t(3)) ORDER BY 1;
-- Not required (default): M1 + M3 are not adjacent but merge.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)]) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
-- Required: M1 + M3 are refused (a path through M2, which is not in the merge, does not join them).
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)], p_require_adjacency => true)$$) AS m1_m3;
SELECT d->>'reason' AS reason, d->>'required_by' AS required_by, d->>'table_count' AS table_count
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)], p_require_adjacency => true)$$) AS d;
-- Both directions of each stored edge work: (M1,M2) stored as M1->M2, (M3,M2) as M3->M2.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(1)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(2), t(3)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(2)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
-- The whole path M1 - M2 - M3 is connected.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(3), ARRAY[t(3), t(1), t(2)], p_require_adjacency => true) ORDER BY 1;
SELECT tn(table_id) FROM unassign_tables_atomic(b(3));
-- A single table needs no neighbour.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(4)], p_require_adjacency => true);
-- Additions: the booking's tables plus the new ones must be connected.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_require_adjacency => true);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_require_adjacency => true)$$) AS add_m3_to_m1;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)], p_require_adjacency => true);
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_require_adjacency => true);
SELECT * FROM seats ORDER BY booking, tbl;

------------------------------------------------------------------------------------------
-- Connectivity, not "each table has a neighbour": two separate pairs are refused.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility) VALUES
    (t(10), r(1), z(1), 'M10', 2, 'movable'), (t(11), r(1), z(1), 'M11', 2, 'movable'),
    (t(12), r(1), z(1), 'M12', 2, 'movable'), (t(13), r(1), z(1), 'M13', 2, 'movable');
-- M10 - M11 and M13 - M12: every table has a neighbour, the set is two components.
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(10), t(11)), (t(13), t(12));
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(10), t(11), t(12), t(13)], p_require_adjacency => true)$$) AS two_pairs;
-- Joining the pairs with M12 - M11 (stored as (M12, M11)) makes one component.
INSERT INTO table_adjacencies (table_a, table_b) VALUES (t(12), t(11));
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(10), t(11), t(12), t(13)], p_require_adjacency => true) ORDER BY 1;

------------------------------------------------------------------------------------------
-- Adjacency, required by the flag (read on every call): the argument false does not
-- switch it off.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
UPDATE allocator_flags SET enabled = true WHERE name = 'require_adjacency';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)])$$) AS flag_on;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)], p_require_adjacency => false)$$) AS flag_on_argument_false;
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(3)])$$)->>'required_by' AS required_by;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), ARRAY[t(3), t(2)]) ORDER BY 1;
UPDATE allocator_flags SET enabled = false WHERE name = 'require_adjacency';
-- Flag off again: M1 + M3 (not adjacent) merge (another day, M3 is b1's on 06-01).
SELECT tn(table_id), utc(start_at) FROM assign_tables_atomic_v2(b(2), ARRAY[t(1), t(3)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00') ORDER BY 1;
SELECT * FROM seats ORDER BY booking, tbl;
