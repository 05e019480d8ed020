-- Input bounds (security issue 7, findings 5, 7 and 8). Each is 22023 before any row is read,
-- except the one-window rule, which needs the booking's tables (23514):
--   1. p_ttl is the real time from now() to the expires_at that is stored, computed as
--      PostgreSQL computes now() + p_ttl (calendar months and days): 10 seconds to 1 hour,
--      whatever the units; an interval that overflows the timestamp range is out of range too.
--   2. An explicit window lies within [2000-01-01, 2100-01-01) UTC and lasts at most 24 hours.
--   3. All tables of a booking share one window, so every accepted call sequence keeps the
--      merge group's mirror row equal to its tables' window (allocator_verify() stays empty).
--   4. A table array of more than 64 elements (four times the 16 distinct tables) is refused
--      by its size, read from its header, before it is copied or deconstructed.
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

------------------------------------------------------------------------------------------
-- 1. TTL: the real time to expires_at, not months counted as 30 days.
------------------------------------------------------------------------------------------
-- A year is 365 or 366 days: these pass a "month = 30 days" check (30 minutes) but would
-- expire 5 days from now, or 5 days ago (a hold already expired when it is created).
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_ttl => '12 mons -360 days 30 minutes')$$) AS year_minus_360_days;
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_ttl => '-12 mons 360 days 30 minutes')$$) AS already_expired;
-- 1000 years are about 365242 days: this one would expire in 2041.
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_ttl => '1000 years -360000 days 1 hour')$$) AS expires_in_2041;
-- The reported '1 mon -30 days 59 minutes' (1 day 59 minutes from a 31-day month) and
-- '-2 mons 60 days 30 minutes' depend on today's month (and a day on daylight saving time):
-- each is accepted exactly when the real TTL, now() + p_ttl - now(), is within bounds (in a
-- 31-day month such as December, neither is). Each row holds a table of its own, and
-- nothing is kept.
BEGIN;
SELECT v.ttl, try(format('SELECT create_table_hold(b(1), ARRAY[t(%s)], p_ttl => %L)', v.n, v.ttl))
              = CASE WHEN (now() + v.ttl) - now() BETWEEN interval '10 seconds' AND interval '1 hour'
                     THEN 'ok' ELSE '22023 ttl_out_of_range' END AS decided_by_real_ttl
  FROM (VALUES (1, interval '1 mon -30 days 59 minutes'), (2, interval '-2 mons 60 days 30 minutes'),
               (3, interval '1 year -365 days 30 minutes'), (7, interval '-1 day 24:00:09')) AS v(n, ttl)
 ORDER BY v.n;
ROLLBACK;
-- Units that cancel out are fine, and what is stored is the TTL that was checked.
SELECT expires_at - created_at AS ttl, expires_at = now() + interval '12 mons -1 year 20 minutes' AS as_computed
  FROM create_table_hold(b(1), ARRAY[t(1)], p_ttl => '12 mons -1 year 20 minutes');
-- Overflow is out of range too, never an internal error or a wrapped-around TTL: the
-- largest intervals, and 2147483647 days that a 64-bit microsecond count wraps around
-- to 30 minutes.
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '178000000 years')$$) AS largest;
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '-178000000 years')$$) AS smallest;
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '2147483647 days -298651767:11:44.483840')$$) AS wraps_to_30_minutes;
SELECT try($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '2147483647 days 2562047788:00:54.775807')$$) AS most_of_every_field;
SELECT try_detail($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '178000000 years')$$) AS no_ttl_to_report;
SELECT (try_detail($$SELECT create_table_hold(b(2), ARRAY[t(2)], p_ttl => '1000 years -360000 days 1 hour')$$)->>'ttl_seconds')::bigint
       = extract(epoch FROM (now() + interval '1000 years -360000 days 1 hour') - now())::bigint AS ttl_seconds_is_real;
-- Only the one hold above was written.
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 2. Explicit windows: within [2000-01-01, 2100-01-01) UTC, at most 24 hours long.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '4713-01-01 00:00+00 BC', p_end_at => '294276-12-31 23:59+00')$$) AS whole_calendar;
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '4713-01-01 00:00+00 BC', p_end_at => '294276-12-31 23:59+00')$$) AS hold_whole_calendar;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '1999-12-31 23:00+00', p_end_at => '2000-01-01 01:00+00')$$) AS starts_in_1999;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2099-12-31 23:00+00', p_end_at => '2100-01-01 00:00:00.000001+00')$$) AS ends_after_2099;
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '294276-12-31 20:00+00', p_end_at => '294276-12-31 22:00+00')$$) AS hold_in_294276;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-02 19:00:00.000001+00')$$) AS one_microsecond_over_a_day;
SELECT try($$SELECT create_table_hold(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-08 19:00+00')$$) AS hold_for_a_week;
-- Bad arguments come first: a missing booking with a bad window reads as the bad window.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), ARRAY[t(99)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-03 19:00+00')$$) AS missing_booking_long_window;
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '4713-01-01 00:00+00 BC', p_end_at => '294276-12-31 23:59+00')$$) AS out_of_range_detail;
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-03 19:00+00')$$) AS too_long_detail;
SELECT * FROM counts();
-- The edges are accepted: the first microsecond of 2000, the last of 2099, exactly 24 hours.
SELECT tn(table_id), start_at AT TIME ZONE 'UTC' AS start_utc, end_at AT TIME ZONE 'UTC' AS end_utc
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2000-01-01 00:00+00', p_end_at => '2000-01-01 02:00+00');
SELECT tn(table_id), start_at AT TIME ZONE 'UTC' AS start_utc, end_at AT TIME ZONE 'UTC' AS end_utc
  FROM assign_tables_atomic_v2(b(2), ARRAY[t(1)], p_start_at => '2099-12-31 22:00+00', p_end_at => '2100-01-01 00:00+00');
SELECT tn(table_id), start_at AT TIME ZONE 'UTC' AS start_utc, end_at AT TIME ZONE 'UTC' AS end_utc
  FROM assign_tables_atomic_v2(b(7), ARRAY[t(3)], p_start_at => '2030-06-01 12:00+00', p_end_at => '2030-06-02 12:00+00');
SELECT array_length(table_ids, 1) AS tables, end_at - start_at AS length
  FROM create_table_hold(b(3), ARRAY[t(7), t(8)], p_start_at => '2030-06-01 12:00+00', p_end_at => '2030-06-02 12:00+00');
SELECT problem FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 3. All tables of a booking share one window: the merge group is one seating.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT tn(table_id), utc(start_at), utc(end_at) FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)]);
-- A second table for another window (explicit), refused: the merge group's mirror row would
-- get the new window [18:00, 20:00) while its tables span [18:00, 21:00), and
-- allocator_verify() would report mirror_extra and mirror_missing for the group.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 20:00+00')$$) AS second_table_other_window;
SELECT problem, detail->>'resource_type' AS resource_type FROM allocator_verify() ORDER BY 1, 2;
SELECT contract(d), d->>'assigned_window' AS assigned_window, d->>'requested_window' AS requested_window
  FROM try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 20:00+00')$$) AS d;
-- A longer window, or one of its own beside the first: refused alike.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 22:00+00')$$) AS second_table_longer_window;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 21:00+00', p_end_at => '2030-06-01 23:00+00')$$) AS second_table_next_window;
SELECT problem FROM allocator_verify();
-- The same window, explicit or not, is a merge.
SELECT tn(table_id), utc(start_at), utc(end_at), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(2)], p_start_at => '2030-06-01 19:00+00', p_end_at => '2030-06-01 21:00+00');
SELECT * FROM seats ORDER BY booking, tbl;
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT problem FROM allocator_verify();
-- The booking's own window moved after its tables were assigned: its new window is another.
UPDATE bookings SET end_at = '2030-06-01 22:00+00' WHERE id = b(1);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(3)])$$) AS booking_window_moved;
-- Confirming a hold for another window than the booking's tables: refused, the hold stays.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), ARRAY[t(7)]);
SELECT id AS other_window_hold FROM create_table_hold(b(2), ARRAY[t(8)], p_start_at => '2030-06-01 18:00+00', p_end_at => '2030-06-01 20:00+00') \gset
SELECT try(format('SELECT * FROM confirm_table_hold(%L, b(2))', :'other_window_hold')) AS confirm_other_window;
SELECT count(*) AS holds_left FROM table_holds WHERE id = :'other_window_hold';
SELECT problem FROM allocator_verify();
-- With one table left the rule still holds; with none left any window is the booking's.
SELECT tn(table_id) FROM unassign_tables_atomic(b(1), ARRAY[t(1)]);
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), ARRAY[t(1)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00')$$) AS one_table_left;
SELECT tn(table_id) FROM unassign_tables_atomic(b(1));
SELECT tn(table_id), utc(start_at), merge_group_id IS NOT NULL AS merged
  FROM assign_tables_atomic_v2(b(1), ARRAY[t(1), t(2)], p_start_at => '2030-06-02 19:00+00', p_end_at => '2030-06-02 21:00+00') ORDER BY 1;
SELECT * FROM mirror ORDER BY booking, resource_type, resource;
SELECT problem FROM allocator_verify();

------------------------------------------------------------------------------------------
-- 4. Table arrays: more than 64 elements are refused by their size, before they are read.
--    Under a 2 s statement_timeout a million elements fail with 22023 at once, not 57014.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SET statement_timeout = '2s';
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), array_fill(t(1), ARRAY[1000000]))$$) AS million_copies;
SELECT try($$SELECT create_table_hold(b(1), array_fill(t(1), ARRAY[1000000]))$$) AS hold_million_copies;
SELECT try($$SELECT * FROM unassign_tables_atomic(b(1), array_fill(t(1), ARRAY[1000000]))$$) AS unassign_million_copies;
SELECT try_detail($$SELECT * FROM assign_tables_atomic_v2(b(1), array_fill(t(1), ARRAY[1000000]))$$) AS detail;
-- Refused before the booking is read, and before the NULLs in it are looked at.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(99), array_fill(NULL::uuid, ARRAY[1000000]))$$) AS missing_booking_million_nulls;
-- Two dimensions are refused by their shape, also from the header.
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(1), array_fill(t(1), ARRAY[1000, 1000]))$$) AS two_dimensions;
-- Stored in a table, compressed and toasted: only the header is fetched.
CREATE TEMP TABLE big_table_ids AS SELECT array_fill(t(1), ARRAY[1000000]) AS ids;
SELECT pg_column_size(ids) < 1000000 AS stored_compressed FROM big_table_ids;
SELECT try($$SELECT a.* FROM big_table_ids, assign_tables_atomic_v2(b(1), big_table_ids.ids) AS a$$) AS toasted;
-- A PL/pgSQL variable changed by element is an expanded array: its header is read.
DO $$
DECLARE
    ids    uuid[] := array_fill(t(1), ARRAY[1000000]);
    state  text;
    detail text;
BEGIN
    ids[1000001] := t(2);
    PERFORM * FROM assign_tables_atomic_v2(b(1), ids);
    RAISE NOTICE 'expanded: ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'expanded: % %', state, detail::jsonb->>'reason';
END
$$;
-- The edge: 64 elements are read (duplicates count), 65 are not; arrays from 0 count alike.
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(1), array_fill(t(1), ARRAY[64]));
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), array_fill(t(2), ARRAY[65]))$$) AS sixty_five;
SELECT try($$SELECT * FROM assign_tables_atomic_v2(b(2), array_fill(t(2), ARRAY[65], ARRAY[0]))$$) AS sixty_five_from_zero;
SELECT tn(table_id) FROM assign_tables_atomic_v2(b(2), array_fill(t(2), ARRAY[64], ARRAY[-10]));
RESET statement_timeout;
SELECT * FROM counts();
SELECT problem FROM allocator_verify();
