'use strict';
// The telemetry worker's own database: its SQL ignores a hostile public schema first in
// search_path, and a worker database without the extension is said once in the log while
// the conflicts are counted as other_database. Both restart the worker (it reads its settings
// when it connects); the second leaves allocator.database_name pointing elsewhere, so it
// runs last.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  connect, value, waitFor, serverLogLines,
  createStatsView, stats, drained, refuse, writerPid, restartWorker,
} = require('./server');

let db;
before(async () => {
  db = await connect();
  await createStatsView(db);
});
after(() => db?.end());

// With a database default that puts public first, and an = for names there (an operator any
// user with CREATE on public can define), the worker still does not call it. The worker
// reads the default when it connects, so it is restarted.
describe('a hostile public schema', () => {
  let written;
  let hostileCalls;
  before(async () => {
    await db.query('CREATE TABLE telemetry_test.hostile_calls (backend_type text)');
    await db.query(`CREATE FUNCTION public.hostile_name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO telemetry_test.hostile_calls
                SELECT backend_type FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid();
            RETURN $1::text OPERATOR(pg_catalog.=) $2::text;
        END $$`);
    await db.query('CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.hostile_name_eq)');
    await db.query('ALTER DATABASE postgres SET search_path = public, pg_catalog');
    await restartWorker(db);
    const written0 = (await stats(db)).events_written;
    await refuse(3);
    await waitFor(async () => (await stats(db)).events_written >= written0 + 3, { seconds: 5, interval: 0.25 });
    await drained(db);
    written = (await stats(db)).events_written - written0;
    hostileCalls = await value(db, `SELECT count(*) FROM telemetry_test.hostile_calls
                                     WHERE backend_type = 'allocator telemetry writer'`);
  });
  after(async () => {
    await db.query('ALTER DATABASE postgres RESET search_path');
    await db.query('DROP OPERATOR IF EXISTS public.= (name, name)');
    await db.query('DROP FUNCTION IF EXISTS public.hostile_name_eq(name, name)');
  });

  test('with a hostile public schema first in search_path the worker writes, and calls nothing of it', () => {
    assert.deepEqual([written, hostileCalls], [3, 0]);
  });
});

// A worker whose database lacks the extension (allocator.database_name set to one without
// it) neither fails nor restarts nor logs per conflict: it says so once, and the conflicts of
// postgres are counted as other_database, not as insert failures.
describe('a worker database without the extension', () => {
  let s0;
  let s1;
  let pid0;
  before(async () => {
    await db.query('CREATE DATABASE telemetry_empty');
    await db.query("ALTER SYSTEM SET allocator.database_name = 'telemetry_empty'");
    await db.query('SELECT pg_reload_conf()');
    await restartWorker(db);
    pid0 = await writerPid(db);
    s0 = await stats(db);
    await refuse(5);
    await waitFor(async () => (await stats(db)).other_database >= s0.other_database + 5, { seconds: 5, interval: 0.25 });
    await drained(db);
    await sleep(2000);
    s1 = await stats(db);
  });

  test("worker in a database without the extension: postgres's 5 conflicts are other_database, not failures", () => {
    assert.deepEqual([s1.other_database - s0.other_database, s1.insert_failures - s0.insert_failures], [5, 0]);
  });

  test('... it keeps running (same process) and said so once in the log', async () => {
    const pid = await writerPid(db);
    assert.deepEqual([pid0 != null && pid0 === pid,
      serverLogLines('extension allocator is not installed in database "telemetry_empty"')], [true, 1]);
  });

  test('allocator_telemetry_stats() names the database the worker writes to', async () => {
    assert.equal(await value(db, 'SELECT worker_database FROM allocator_telemetry_stats()'), 'telemetry_empty');
  });
});
