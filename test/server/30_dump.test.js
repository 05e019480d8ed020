'use strict';
// pg_dump keeps the allocator's rows (pg_extension_config_dump): database "dumped" is filled
// from test/fixtures/restaurant.sql, dumped with pg_dump and restored with psql into
// "restored". Both stay for 40_telemetry_counters.test.js: their conflicts are the other
// databases' conflicts there (the worker writes into postgres only).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { ROOT, connect, value, psqlFile, connectionArgs } = require('./server');

const STATE = `SELECT (SELECT count(*) FROM booking_table_assignments) || ' ' || (SELECT count(*) FROM table_holds)
    || ' ' || (SELECT count(*) FROM allocations) || ' ' || (SELECT count(*) FROM booking_assignment_idempotency)
    || ' ' || (SELECT count(*) FROM observability_events)
    || ' ' || (SELECT string_agg(name || '=' || enabled, ',' ORDER BY name) FROM allocator_flags)`;

let dumped;
let restored;
let restoreErrors;
before(async () => {
  const db = await connect();
  try {
    await db.query('CREATE DATABASE dumped');
    await db.query('CREATE DATABASE restored');
  } finally {
    await db.end();
  }
  dumped = await connect('dumped');
  await dumped.query('SET client_min_messages = warning');
  await dumped.query('CREATE EXTENSION allocator CASCADE');
  psqlFile('dumped', path.join(ROOT, 'test', 'fixtures', 'restaurant.sql'));
  await dumped.query('SELECT fixture_reset()');
  await dumped.query("SELECT count(*) FROM assign_tables_atomic_v2(b(3), ARRAY[t(2), t(3)], 'k-dump')");
  await dumped.query("SELECT count(*) FROM create_table_hold(b(1), ARRAY[t(1)], '1 hour')");
  await dumped.query("UPDATE allocator_flags SET enabled = true, reason = 'dump test' WHERE name = 'require_adjacency'");

  const dump = execFileSync('pg_dump', connectionArgs('dumped'), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const restore = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=0', ...connectionArgs('restored'), '-f', '-'],
    { input: dump, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (restore.error) throw restore.error;
  restoreErrors = `${restore.stdout}\n${restore.stderr}`.split('\n').filter((line) => line.includes('ERROR'));
  restored = await connect('restored');
});
after(async () => {
  await dumped?.end();
  await restored?.end();
});

test('pg_dump | psql restores without an error', () => {
  assert.deepEqual(restoreErrors, []);
});

test('the dumped database holds 2 assignments, 1 hold, 4 mirror rows, 1 ledger row, 1 event, adjacency on', async () => {
  assert.equal(await value(dumped, STATE),
    '2 1 4 1 1 allocations_dual_write=true,auto_assign=true,capacity_check=true,merges_enabled=true,require_adjacency=true');
});

test('restored rows and flags equal the original', async () => {
  assert.equal(await value(restored, STATE), await value(dumped, STATE));
});

test('the restored copy still refuses a double booking', async () => {
  const notices = [];
  const onNotice = (notice) => notices.push(notice.message);
  restored.on('notice', onNotice);
  try {
    await restored.query(`DO $$ BEGIN PERFORM assign_tables_atomic_v2(b(1), ARRAY[t(2)]); RAISE NOTICE 'none';
                          EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END $$`);
  } finally {
    restored.off('notice', onNotice);
  }
  assert.deepEqual(notices, ['23P01']);
});
