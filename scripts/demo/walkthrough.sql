-- The demo: what a staff app and the sweeper do in one evening, step by step.
-- Expected errors are part of the story, so this script does not stop on them.
\set ON_ERROR_STOP off
\pset footer off
\set QUIET on

\echo
\echo '1. Ada (party of 2) gets table M1 for her booking window.'
\echo '   SELECT * FROM assign_tables_atomic_v2(p_booking_id => <Ada>, p_table_ids => ARRAY[<M1>]);'
SELECT * FROM assign_tables_atomic_v2(p_booking_id => demo.guest('Ada'), p_table_ids => ARRAY[demo.tbl('M1')]);

\echo
\echo '2. Grace (19:30-21:30) asks for M1 too: it overlaps Ada''s 19:00-21:00, so it is refused'
\echo '   with SQLSTATE 23P01, a JSON DETAIL naming the conflict, and a HINT.'
SELECT * FROM assign_tables_atomic_v2(demo.guest('Grace'), ARRAY[demo.tbl('M1')]);

\echo
\echo '3. Linus brings six people: M2 and M3 are merged (movable and adjacent). The retry'
\echo '   with the same idempotency key replays the stored result and writes nothing.'
SELECT * FROM assign_tables_atomic_v2(demo.guest('Linus'), ARRAY[demo.tbl('M2'), demo.tbl('M3')],
                                      p_idempotency_key => 'linus-1', p_require_adjacency => true);
SELECT count(*) AS assignment_rows_before_replay FROM booking_table_assignments;
SELECT * FROM assign_tables_atomic_v2(demo.guest('Linus'), ARRAY[demo.tbl('M3'), demo.tbl('M2')],
                                      p_idempotency_key => 'linus-1', p_require_adjacency => true);
SELECT count(*) AS assignment_rows_after_replay FROM booking_table_assignments;

\echo
\echo '4. The same key with other tables is a mistake in the caller, not a replay:'
SELECT * FROM assign_tables_atomic_v2(demo.guest('Linus'), ARRAY[demo.tbl('T3'), demo.tbl('T4')],
                                      p_idempotency_key => 'linus-1');

\echo
\echo '5. Merges need movable tables: M4 and M5 are fixed.'
SELECT * FROM assign_tables_atomic_v2(demo.guest('Barbara'), ARRAY[demo.tbl('M4'), demo.tbl('M5')]);

\echo
\echo 'The floor now (assignments and the legacy allocations mirror agree):'
SELECT * FROM demo.floor;
SELECT resource_type, count(*) AS mirror_rows FROM allocations GROUP BY resource_type ORDER BY 1;

\echo
\echo '6. Linus cancels: unassign removes his tables, the merge group, its mirror and ledger rows,'
\echo '   and clears the zone pin.'
SELECT * FROM unassign_tables_atomic(demo.guest('Linus'));
SELECT resource_type, count(*) AS mirror_rows FROM allocations GROUP BY resource_type ORDER BY 1;
SELECT count(*) AS ledger_rows FROM booking_assignment_idempotency;

\echo
\echo '7. Holds: Barbara''s app holds terrace table T3 for 3 minutes while she decides.'
SELECT id AS barbara_hold, table_ids, expires_at > now() AS live
  FROM create_table_hold(demo.guest('Barbara'), ARRAY[demo.tbl('T3')], p_ttl => '3 minutes',
                         p_metadata => '{"channel": "web"}') \gset
SELECT :'barbara_hold' AS hold_id, :'live' AS live;

\echo
\echo '8. Ken tries to hold the same table: refused while Barbara''s hold is live (23P01).'
SELECT id FROM create_table_hold(demo.guest('Ken'), ARRAY[demo.tbl('T3')]);

\echo
\echo '9. Barbara confirms: the hold becomes an assignment in one transaction.'
SELECT * FROM confirm_table_hold(:'barbara_hold', demo.guest('Barbara'));

\echo
\echo '10. Ken holds T1 with the shortest TTL (10 seconds) and lets it lapse. An expired hold'
\echo '    never blocks anyone, even before the sweeper has removed it.'
SELECT id AS ken_hold FROM create_table_hold(demo.guest('Ken'), ARRAY[demo.tbl('T1')], p_ttl => '10 seconds') \gset
\echo '    ... waiting 11 seconds'
\! sleep 11
SELECT id, booking_id, expires_at FROM table_holds WHERE expires_at < now();
SELECT * FROM assign_tables_atomic_v2(demo.guest('Grace'), ARRAY[demo.tbl('T1')]);

\echo
\echo '11. The sweeper removes expired holds (oldest first, SKIP LOCKED) and logs hold.expired.'
\echo '    Here an expired hold of Ken on T2 is waiting:'
SELECT id AS ken_hold2 FROM create_table_hold(demo.guest('Ken'), ARRAY[demo.tbl('T2')], p_ttl => '10 seconds') \gset
\! sleep 11
SELECT count(*) AS sweeper_backlog FROM table_holds WHERE expires_at < now();
SELECT sweep_expired_holds() AS swept;
SELECT event_type, severity, context->>'hold_id' AS hold_id FROM observability_events
 WHERE source = 'capacity.hold' ORDER BY id;

\echo
\echo '12. pg_cron runs the sweeper every minute from now on:'
SELECT schedule_hold_sweeper('* * * * *') AS job_id;
SELECT jobname, schedule, command FROM cron.job;

\echo
\echo '13. Releasing a hold is idempotent: true the first time, false after.'
SELECT id AS ken_hold3 FROM create_table_hold(demo.guest('Ken'), ARRAY[demo.tbl('T4')]) \gset
SELECT release_table_hold(:'ken_hold3') AS released, release_table_hold(:'ken_hold3') AS released_again;

\echo
\echo 'Final floor:'
SELECT * FROM demo.floor;
