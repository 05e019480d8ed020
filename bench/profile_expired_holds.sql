-- A backlog of :holds expired holds for the sweeper (psql -v holds=N), written as
-- create_table_hold writes a hold (insert hold in src/pg/data/holds.cpp): the table_holds
-- row, one table_hold_members row per table and, while allocations_dual_write is on, one
-- allocations mirror row per table. (The hold.created events are left out: the sweeper
-- never reads them.) Hold h holds table (h - 1) % 400 + 1 for booking (h - 1) / 400 + 1, in
-- that booking's window, so no two holds overlap on a table (the members' exclusion
-- constraint). All of them expired between 1 and 2 hours ago, each at its own instant.
-- Not analyzed here: bench/profile_occupants_stale_plan.sql needs the statistics of before.
-- One statement with no temporary table: a session's first temporary table creates its
-- temporary schema, and that resets every cached plan of the session (the stale plan of
-- bench/profile_occupants_stale_plan.sql included). The foreign keys are checked at the
-- statement's end, when all three tables have their rows.
\set ON_ERROR_STOP 1
WITH backlog AS MATERIALIZED (
    SELECT gen_random_uuid() AS id, b.id AS booking_id, b.restaurant_id, t.zone_id, t.id AS table_id,
           b.start_at, b.end_at, now() - interval '2 hours' + h * (interval '1 hour' / :holds) AS expires_at
      FROM generate_series(1, :holds) AS h
      JOIN bookings b ON b.id = ('0000000c-0000-4000-8000-' || lpad(((h - 1) / 400 + 1)::text, 12, '0'))::uuid
      JOIN table_inventory t ON t.id = ('0000000b-0000-4000-8000-' || lpad(((h - 1) % 400 + 1)::text, 12, '0'))::uuid),
holds AS (
    INSERT INTO table_holds (id, booking_id, restaurant_id, zone_id, table_ids, start_at, end_at, expires_at)
    SELECT id, booking_id, restaurant_id, zone_id, ARRAY[table_id], start_at, end_at, expires_at FROM backlog),
members AS (
    INSERT INTO table_hold_members (hold_id, table_id, start_at, end_at)
    SELECT id, table_id, start_at, end_at FROM backlog),
mirror AS (
    INSERT INTO allocations (booking_id, restaurant_id, resource_type, resource_id, "window", hold_id)
    SELECT booking_id, restaurant_id, 'hold', table_id, tstzrange(start_at, end_at, '[)'), id FROM backlog
     WHERE coalesce((SELECT enabled FROM allocator_flags WHERE name = 'allocations_dual_write'), true))
SELECT count(*) AS holds_written FROM backlog \g /dev/null
SELECT (SELECT count(*) FROM table_holds WHERE expires_at <= now()) AS expired_holds,
       (SELECT count(*) FROM table_hold_members) AS members,
       (SELECT count(*) FROM allocations WHERE resource_type = 'hold') AS hold_mirror_rows;
