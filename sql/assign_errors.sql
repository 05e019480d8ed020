-- docs/errors.md, the error contract, for assign_tables_atomic_v2 (unassign's errors are in
-- the unassign suite; holds' are not tested here). Every row of the table: its SQLSTATE, a
-- DETAIL that is a JSON object with "reason", a HINT. Then: bad arguments fail with 22023
-- before any row is read (or any lock is waited for), and 55P03 from a second session.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

-- The state the errors need: b1 at M1 with key 'k1' (pinned to main), b3's live hold on
-- P2, a movable main table M10 with no adjacency.
SELECT count(*) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'k1');
SELECT put_hold(1, b(3), ARRAY[t(8)], '2030-06-01 19:00+00', '2030-06-01 21:00+00', now() + interval '10 minutes');
INSERT INTO table_inventory (id, restaurant_id, zone_id, table_number, capacity, mobility)
VALUES (t(10), r(1), z(1), 'M10', 2, 'movable');

CREATE TEMP TABLE cases (n serial, condition text, expected text, stmt text);
INSERT INTO cases (condition, expected, stmt) VALUES
  -- 22023 bad argument
  ('NULL p_booking_id',          '22023', $$SELECT * FROM assign_tables_atomic_v2(NULL, ARRAY[t(3)])$$),
  ('NULL p_table_ids',           '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), NULL)$$),
  ('empty p_table_ids',          '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), '{}')$$),
  ('NULL element',               '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), NULL])$$),
  ('17 distinct tables',         '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY(SELECT t(n) FROM generate_series(1, 17) n))$$),
  ('p_start_at only',            '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => '2030-06-01 19:00+00')$$),
  ('p_end_at only',              '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_end_at => '2030-06-01 21:00+00')$$),
  ('start = end',                '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 19:00+00')$$),
  ('start > end',                '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 19:00+00')$$),
  ('empty idempotency key',      '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], '')$$),
  ('idempotency key 256 bytes',  '22023', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], repeat('k', 256))$$),
  -- P0002 not found
  ('booking not found',          'P0002', $$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(3)])$$),
  ('table not found',            'P0002', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), t(99)])$$),
  -- 23514 rule refused
  ('booking cancelled',          '23514', $$SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(3)])$$),
  ('booking completed',          '23514', $$SELECT * FROM assign_tables_atomic_v2(b(5), ARRAY[t(3)])$$),
  ('booking no-show',            '23514', $$SELECT * FROM assign_tables_atomic_v2(b(6), ARRAY[t(3)])$$),
  ('wrong restaurant',           '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(9)])$$),
  ('inactive table',             '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(5)])$$),
  ('out-of-service table',       '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(6)])$$),
  ('mixed zones',                '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), t(7)])$$),
  ('fixed table in a merge',     '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), t(4)])$$),
  ('not connected',              '23514', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), t(10)], p_require_adjacency => true)$$),
  ('capacity short of the party','23514', $$SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)])$$),
  ('pinned to another zone',     '23514', $$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(7)])$$),
  -- 23P01 overlap
  ('another booking''s assignment','23P01', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)])$$),
  ('another booking''s live hold','23P01', $$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(8)])$$),
  -- 22023 idempotency_mismatch
  ('key reused, other tables',   '22023', $$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], 'k1')$$),
  ('key reused, other window',   '22023', $$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], 'k1', p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 20:00+00')$$);

SELECT c.n, c.condition, e.state AS sqlstate, e.state = c.expected AS as_specified,
       e.detail->>'reason' AS reason, jsonb_typeof(e.detail) AS detail_type,
       e.hint IS NOT NULL AND e.hint <> '' AS has_hint
  FROM cases c, caught(c.stmt) e ORDER BY c.n;

-- merges_enabled off (a flag, so a case of its own).
UPDATE allocator_flags SET enabled = false WHERE name = 'merges_enabled';
SELECT e.state AS sqlstate, e.detail->>'reason' AS reason, e.hint IS NOT NULL AS has_hint
  FROM caught($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2), t(3)])$$) e;
UPDATE allocator_flags SET enabled = true WHERE name = 'merges_enabled';

-- None of the failed calls wrote anything.
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- A few in full (message, DETAIL, HINT as a client sees them).
------------------------------------------------------------------------------------------
SELECT * FROM assign_tables_atomic_v2(NULL, ARRAY[t(3)]);
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 19:00+00');
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY(SELECT t(n) FROM generate_series(1, 17) n));
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(99)]);
SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(3)]);
SELECT * FROM assign_tables_atomic_v2(b(3), ARRAY[t(3)]);
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)]);
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(8)]);

------------------------------------------------------------------------------------------
-- Arguments are checked before any row is read: a bad argument is 22023 even when the
-- booking does not exist, is cancelled, or the tables do not exist.
------------------------------------------------------------------------------------------
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), NULL)$$) AS missing_booking_null_tables;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), '{}')$$) AS missing_booking_empty_tables;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(99), NULL])$$) AS missing_booking_null_element;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY(SELECT t(n) FROM generate_series(101, 117) n))$$) AS missing_booking_17_tables;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(99)], p_start_at => '2030-06-01 19:00+00')$$) AS missing_booking_half_window;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(99)], '')$$) AS missing_booking_empty_key;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(4), ARRAY[t(3)], p_end_at => '2030-06-01 19:00+00')$$) AS cancelled_booking_half_window;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], 'k1', p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 19:00+00')$$) AS used_key_inverted_window;
-- 16 distinct tables is not too many: those are then looked up (and not found).
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY(SELECT t(n) FROM generate_series(101, 116) n))$$) AS sixteen_missing_tables;

------------------------------------------------------------------------------------------
-- 55P03: another session holds the allocator's locks (its transaction is open), and this
-- one gives up after allocator.lock_timeout. Bad arguments do not wait at all.
------------------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s',
                      split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port'), current_database()));
SELECT dblink_exec('other', 'BEGIN');
-- The other session assigns M3 to b2: it holds b2's booking lock and M3's table lock.
SELECT * FROM dblink('other', $$SELECT count(*) FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)])$$) AS x(n bigint);
SET allocator.lock_timeout = '100ms';
SELECT clock_timestamp() AS t0 \gset
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS same_booking;
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '90 ms' AND interval '1900 ms' AS waited_about_100ms;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)])$$) AS same_table;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(2))$$) AS unassign_same_booking;
SELECT d->>'reason' AS reason, d->>'lock_timeout_ms' AS lock_timeout_ms
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)])$$) AS d;
-- Other bookings and tables are not blocked.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(7), ARRAY[t(7)]);
-- Bad arguments fail with 22023 at once, even with a long lock timeout: no lock is
-- requested before they are checked.
SET allocator.lock_timeout = '10s';
SELECT clock_timestamp() AS t0 \gset
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3), NULL])$$) AS bad_args_same_booking;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)], p_start_at => now())$$) AS bad_window_same_booking;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(2), '{}')$$) AS bad_args_unassign;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS did_not_wait;
SET allocator.lock_timeout = '100ms';
-- The message as a client sees it.
\set VERBOSITY terse
SELECT * FROM assign_tables_atomic_v2(b(2), ARRAY[t(2)]);
\set VERBOSITY default
SELECT dblink_exec('other', 'ROLLBACK');
-- Released: b2 can be seated.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(3)]);
SELECT dblink_disconnect('other');
RESET allocator.lock_timeout;
DROP EXTENSION dblink;

------------------------------------------------------------------------------------------
-- A two-dimensional table array and infinite windows are bad arguments too (22023 with a
-- JSON DETAIL), and nothing is read or written.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[[t(1), t(2)], [t(3), t(2)]])$$) AS two_dimensional;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(1), ARRAY[[t(1)], [t(2)]])$$) AS unassign_two_dimensional;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '-infinity', p_end_at => 'infinity')$$) AS infinite_window;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => 'infinity')$$) AS open_ended_window;
SELECT try_state($$INSERT INTO bookings (restaurant_id, party_size, start_at, end_at) VALUES (r(1), 2, '2030-06-01 19:00+00', 'infinity')$$) AS infinite_booking;
SELECT * FROM counts();
