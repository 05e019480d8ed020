'use strict';
// What the server tests (test/server/*.test.js) share. scripts/run-server.sh starts one
// private PostgreSQL with pg_cron and allocator preloaded and runs the files one at a time in
// the order of their names, on that one server: each file starts from the state the files
// before it left (the sweeper's fixture rows, the telemetry counters since server start).
// Connection settings come from PGHOST / PGPORT / PGUSER / PGDATABASE; the server log is
// ALLOCATOR_SERVER_LOG.
//
// node-postgres is the one test/client installs (scripts/install-deps.sh and run-server.sh
// install it from test/client/package-lock.json), resolved from there rather than pinned a
// third time; NODE_PATH (Debian's node-pg, see scripts/lib.sh) still applies.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');

const pg = require(require.resolve('pg', { paths: [path.join(__dirname, '..', 'client')] }));

// count(*) and the bigint counters as numbers, as psql prints them (none comes near 2^53);
// numeric stays text, exactly as psql prints it.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

const ROOT = path.join(__dirname, '..', '..');

function connectionArgs(database) {
  return ['-h', process.env.PGHOST, '-p', String(process.env.PGPORT), '-U', process.env.PGUSER, '-d', database];
}

// A connection to `database` (PGDATABASE by default). No statement may hang a test.
async function connect(database = process.env.PGDATABASE) {
  const client = new pg.Client({
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER,
    database,
    application_name: 'allocator-server-test',
    options: '-c statement_timeout=120000',
  });
  await client.connect();
  return client;
}

// body(client) on a connection of its own, a new session as each psql call of the old script
// was (it sees database defaults set since the other connections were opened).
async function withConnection(database, body) {
  const client = await connect(database);
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

// The first row of `sql`, as an array of its columns.
async function row(client, sql, params = []) {
  const result = await client.query({ text: sql, values: params, rowMode: 'array' });
  return result.rows[0];
}

// The first column of the first row of `sql` (undefined when there is no row).
async function value(client, sql, params = []) {
  return (await row(client, sql, params))?.[0];
}

// Calls probe() until it returns something truthy or `seconds` have passed, `interval`
// seconds apart; returns its last answer either way (the caller asserts on it).
async function waitFor(probe, { seconds, interval }) {
  const deadline = Date.now() + seconds * 1000;
  let answer = await probe();
  while (!answer && Date.now() < deadline) {
    await sleep(interval * 1000);
    answer = await probe();
  }
  return answer;
}

// psql -f FILE in `database`, stopping at the first error (a file with psql's own per-statement
// transactions, as an operator would run it).
function psqlFile(database, file) {
  return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...connectionArgs(database), '-f', file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// How many lines of the server log contain `text` (grep -c).
function serverLogLines(text) {
  return fs.readFileSync(process.env.ALLOCATOR_SERVER_LOG, 'utf8').split('\n').filter((line) => line.includes(text))
    .length;
}

// ---- conflict telemetry ----

const TABLE_1 = '0000000b-0000-4000-8000-000000000001';
const BOOKING_2 = '0000000c-0000-4000-8000-000000000002';

// telemetry_test.stats: the counters of allocator_telemetry_stats() the telemetry tests read.
async function createStatsView(client) {
  await client.query('CREATE SCHEMA IF NOT EXISTS telemetry_test');
  await client.query(`CREATE OR REPLACE VIEW telemetry_test.stats AS
      SELECT s.conflicts_recorded, s.events_written, s.insert_failures, s.recent_insert_failures,
             s.pending, s.dropped, s.recent_dropped, s.other_database
        FROM allocator_telemetry_stats() s`);
}

async function stats(client) {
  return (await client.query('SELECT * FROM telemetry_test.stats')).rows[0];
}

// Waits (at most 60 s) until the worker has written or failed everything queued.
async function drained(client) {
  await waitFor(async () => (await value(client, 'SELECT pending FROM allocator_telemetry_stats()')) === 0,
    { seconds: 60, interval: 0.2 });
}

// n double bookings of table 1 in PGDATABASE (booked by the sweeper's fixture), each refused
// (23P01) and caught, in a session of its own.
async function refuse(n) {
  await withConnection(process.env.PGDATABASE, (client) => client.query(`DO $$ BEGIN FOR i IN 1..${Number(n)} LOOP BEGIN
          PERFORM assign_tables_atomic_v2('${BOOKING_2}', ARRAY['${TABLE_1}']::uuid[]);
      EXCEPTION WHEN exclusion_violation THEN NULL; END; END LOOP; END $$`));
}

// The value (numeric, as text) and firing of one row of allocator_alerts().
async function alert(client, name) {
  const [alertValue, firing] = await row(client, 'SELECT value, firing FROM allocator_alerts() WHERE alert = $1', [name]);
  return { value: alertValue, firing };
}

async function writerPid(client) {
  return value(client, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'allocator telemetry writer'");
}

// Terminates the telemetry writer and waits (at most 30 s) for the next one (PostgreSQL
// starts it again 10 s later).
async function restartWorker(client) {
  await client.query(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                       WHERE backend_type = 'allocator telemetry writer'`);
  await waitFor(async () => (await value(client, `SELECT count(*) FROM pg_stat_activity
                                                   WHERE backend_type = 'allocator telemetry writer'`)) === 1,
    { seconds: 30, interval: 0.5 });
}

module.exports = {
  ROOT, TABLE_1, BOOKING_2,
  connect, withConnection, row, value, waitFor, psqlFile, serverLogLines, connectionArgs,
  createStatsView, stats, drained, refuse, alert, writerPid, restartWorker,
};
