'use strict';
// The hold sweeper under pg_cron: scheduled every minute with three expired holds and one
// live hold waiting (sweeper_run.sql); passes when pg_cron's own run has swept them (bounded
// wait, 150 s) and cron.job_run_details shows success.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { connect, value, row, waitFor, psqlFile } = require('./server');

const SWEEPER_RUNS = `SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                       WHERE j.jobname = 'allocator-hold-sweeper' AND d.status = $1`;

let db;
before(async () => {
  psqlFile(process.env.PGDATABASE, path.join(__dirname, 'sweeper_run.sql'));
  db = await connect();
});
after(() => db?.end());

test('three expired holds wait for the sweeper', async () => {
  assert.equal(await value(db, 'SELECT count(*) FROM table_holds WHERE expires_at < now()'), 3);
});

test('pg_cron ran the sweeper and recorded success', { timeout: 170_000 }, async (t) => {
  const started = Date.now();
  await waitFor(async () => (await value(db, SWEEPER_RUNS, ['succeeded'])) >= 1, { seconds: 150, interval: 5 });
  t.diagnostic(`waited ${Math.round((Date.now() - started) / 1000)} s for pg_cron`);
  const succeeded = await value(db, SWEEPER_RUNS, ['succeeded']);
  assert.ok(succeeded >= 1, `expected a succeeded run, found ${succeeded}`);
});

test('no failed sweeper run', async () => {
  assert.equal(await value(db, SWEEPER_RUNS, ['failed']), 0);
});

test('the backlog query is empty after the run', async () => {
  assert.equal(await value(db, 'SELECT count(*) FROM table_holds WHERE expires_at < now()'), 0);
});

test('the live hold survived', async () => {
  assert.equal(await value(db, 'SELECT count(*) FROM table_holds WHERE expires_at > now()'), 1);
});

test('one hold.expired event per swept hold, from the sweeper', async () => {
  assert.equal(await value(db, `SELECT count(*) FROM observability_events WHERE source = 'capacity.hold'
                                  AND event_type = 'hold.expired' AND context->>'removed_by' = 'sweep_expired_holds'`), 3);
});

test('swept holds left no member or mirror rows', async () => {
  assert.deepEqual(await row(db, `SELECT
      (SELECT count(*) FROM table_hold_members m WHERE NOT EXISTS (SELECT FROM table_holds h WHERE h.id = m.hold_id)),
      (SELECT count(*) FROM allocations WHERE resource_type = 'hold' AND hold_id IS NULL)`), [0, 0]);
});

test('the live hold keeps its mirror row', async () => {
  assert.equal(await value(db, "SELECT count(*) FROM allocations WHERE resource_type = 'hold'"), 1);
});

test('unschedule removes the job', async () => {
  assert.equal(await value(db, 'SELECT unschedule_hold_sweeper()'), true);
});

test('no job is left', async () => {
  assert.equal(await value(db, 'SELECT count(*) FROM cron.job'), 0);
});
