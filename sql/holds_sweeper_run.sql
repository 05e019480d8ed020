-- run_hold_sweeper(p_batch, p_max): what the pg_cron job runs (CALL). It calls
-- sweep_expired_holds(p_batch) until a batch comes back short or p_max holds are swept, and
-- commits after each batch, so a backlog clears in one scheduled run while no batch's row
-- locks outlive that batch. Returns the count as `swept`.
--
-- Each batch being its own transaction shows in its events: every hold.expired event of one
-- transaction has that transaction's created_at (now()).
\set ECHO none
\i test/helpers/setup.sql
\set ECHO all
SELECT fixture_reset();

-- Twelve expired holds (booking 1, table 1, one per evening of June 2030); day d's hold
-- expired d minutes ago, so the oldest are the latest days. And one live hold (booking 7).
CREATE FUNCTION pg_temp.sweeper_backlog() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (
        SELECT create_table_hold(b(1), ARRAY[t(1)], p_ttl => '10 seconds',
                                 p_start_at => '2030-06-01 19:00+00'::timestamptz + (d - 1) * interval '1 day',
                                 p_end_at => '2030-06-01 21:00+00'::timestamptz + (d - 1) * interval '1 day')
          FROM generate_series(1, 12) AS d) c;
    UPDATE table_holds SET expires_at = now() - extract(day FROM start_at AT TIME ZONE 'UTC') * interval '1 minute'
     WHERE booking_id = b(1);
    SELECT count(*) FROM table_holds WHERE expires_at < now();
$$;
-- The events of each sweeping transaction, oldest transaction first: how many, which days.
CREATE TEMP VIEW sweeper_batches AS
SELECT count(*) AS holds, array_agg(day ORDER BY day DESC) AS days
  FROM (SELECT id, created_at, extract(day FROM (context->>'start_at')::timestamptz AT TIME ZONE 'UTC')::int AS day
          FROM observability_events WHERE event_type = 'hold.expired') AS e
 GROUP BY created_at ORDER BY min(id);

------------------------------------------------------------------------------------------
-- 1. Arguments: p_batch within 1..10000, p_max at least 1 (22023 bad_limit); NULL is the
-- default.
------------------------------------------------------------------------------------------
SELECT try($$CALL run_hold_sweeper(0)$$);
SELECT try($$CALL run_hold_sweeper(10001)$$);
SELECT try($$CALL run_hold_sweeper(1000, 0)$$);
CALL run_hold_sweeper(NULL, NULL);

------------------------------------------------------------------------------------------
-- 2. The whole backlog in one call, one committed transaction per batch of 5: days 12..8,
-- 7..3, then 2..1 (a short batch: done). The live hold stays.
------------------------------------------------------------------------------------------
SELECT count(*) AS live FROM create_table_hold(b(7), ARRAY[t(3)]);
SELECT pg_temp.sweeper_backlog() AS backlog;
CALL run_hold_sweeper(p_batch => 5);
SELECT * FROM sweeper_batches;
SELECT count(*) AS backlog FROM (select id, booking_id, expires_at from table_holds where expires_at < now()) AS backlog;
SELECT bn(booking_id) AS booking, expires_at > now() AS live FROM table_holds;
SELECT * FROM counts();

------------------------------------------------------------------------------------------
-- 3. p_max bounds one run: 7 of 12 (a batch of 5, then one of 2), the 5 oldest-expiring
-- left for the next run, which takes them.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT pg_temp.sweeper_backlog() AS backlog;
CALL run_hold_sweeper(p_batch => 5, p_max => 7);
SELECT * FROM sweeper_batches;
SELECT array_agg(extract(day FROM start_at AT TIME ZONE 'UTC')::int ORDER BY expires_at) AS backlog_days
  FROM table_holds WHERE expires_at < now();
CALL run_hold_sweeper();
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();

------------------------------------------------------------------------------------------
-- 4. Inside a transaction block the procedure cannot commit: it sweeps every batch in the
-- caller's transaction (one created_at), and a ROLLBACK undoes it all.
------------------------------------------------------------------------------------------
SELECT fixture_reset();
SELECT pg_temp.sweeper_backlog() AS backlog;
BEGIN;
CALL run_hold_sweeper(p_batch => 5);
SELECT * FROM sweeper_batches;
ROLLBACK;
SELECT count(*) AS backlog_after_rollback FROM table_holds WHERE expires_at < now();
SELECT count(*) AS events_after_rollback FROM observability_events WHERE event_type = 'hold.expired';

------------------------------------------------------------------------------------------
-- 5. It runs as its caller, one sweep_expired_holds call a batch: EXECUTE on the procedure
-- alone is not enough (42501 on sweep_expired_holds, nothing swept); operator access is.
------------------------------------------------------------------------------------------
CREATE ROLE regress_sweeper_caller;
GRANT EXECUTE ON PROCEDURE run_hold_sweeper(integer, integer, bigint) TO regress_sweeper_caller;
SET ROLE regress_sweeper_caller;
SELECT try_state($$CALL run_hold_sweeper()$$);
RESET ROLE;
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();
SELECT count(*) > 0 AS granted FROM allocator_grant_access('regress_sweeper_caller', 'operator');
SET ROLE regress_sweeper_caller;
CALL run_hold_sweeper();
RESET ROLE;
SELECT count(*) AS backlog FROM table_holds WHERE expires_at < now();
SELECT allocator_revoke_access('regress_sweeper_caller') IS NOT NULL AS revoked;
REVOKE ALL ON PROCEDURE run_hold_sweeper(integer, integer, bigint) FROM regress_sweeper_caller;
DROP ROLE regress_sweeper_caller;

DROP VIEW sweeper_batches;
DROP FUNCTION pg_temp.sweeper_backlog();
