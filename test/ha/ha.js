'use strict';
// What the HA tests (test/ha/*.test.js) share. scripts/run-ha.sh starts the servers and
// passes them in the environment:
//   HA_PRIMARY, HA_STANDBY            host:port of a primary and its pg_basebackup -R standby
//   HA_PRIMARY_DATA, HA_STANDBY_DATA  their data directories
//   HA_NODES, HA_NODE_DATA            the two pg_auto_failover nodes (host:port,host:port) and
//                                     their data directories, in the same order
//   HA_LOGICAL, HA_LOGICAL_DATA       a server with wal_level = logical: the fixture in its
//                                     database postgres (a publisher), an empty one with the
//                                     extension in its database subscriber
//   HA_WORK                           the stage's scratch dir (supervisors: the process group
//                                     of each pg_autoctl service started, one per line)
// The fixture (test/ha/fixture.sql) is on every server. node-postgres is test/client's.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');

const { waitFor: serverWaitFor, value } = require('../server/server');

const pg = require(require.resolve('pg', { paths: [path.join(__dirname, '..', 'client')] }));

pg.types.setTypeParser(pg.types.builtins.INT8, Number);

const ROOT = path.join(__dirname, '..', '..');

// The fixture's ids (test/ha/fixture.sql): booking n is for table ((n - 1) % 20) + 1.
const RESTAURANT = '00000001-0000-4000-8000-000000000001';
const id12 = (n) => String(n).padStart(12, '0');
const table = (n) => `0000000b-0000-4000-8000-${id12(n)}`;
const booking = (n) => `0000000c-0000-4000-8000-${id12(n)}`;
const tableOf = (n) => table(((n - 1) % 20) + 1);

function hostPort(address) {
  const [host, port] = address.split(':');
  return { host, port: Number(port) };
}

// A connection to one server. No statement may hang a test.
async function connect(address, { applicationName = 'allocator-ha-test', connectTimeoutMs = 5000, database = 'postgres' } = {}) {
  const client = new pg.Client({
    ...hostPort(address),
    user: 'postgres',
    database,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    options: '-c statement_timeout=60000',
  });
  client.on('error', () => {}); // a server killed under us: the next query says so
  await client.connect();
  return client;
}

// libpq's multi-host connection strings for node-postgres, which has none of its own:
// "postgresql://user@h1:p1,h2:p2/db?target_session_attrs=read-write" tries the hosts in
// order and keeps the first whose session is read-write, as libpq does (README, "Retries
// across a failover", shows the same for an app).
function parseMultiHost(uri) {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/]+)@)?([^/?]+)\/([^?]*)(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error(`not a postgresql:// URI: ${uri}`);
  const params = new URLSearchParams(m[4] || '');
  return {
    user: m[1] || 'postgres',
    hosts: m[2].split(','),
    database: m[3] || 'postgres',
    targetSessionAttrs: params.get('target_session_attrs') || 'any',
    connectTimeoutMs: 1000 * Number(params.get('connect_timeout') || 2),
  };
}

async function connectMultiHost(uri, applicationName = 'allocator-ha-load') {
  const target = parseMultiHost(uri);
  for (const address of target.hosts) {
    let client;
    try {
      client = await connect(address, { applicationName, connectTimeoutMs: target.connectTimeoutMs });
      if (target.targetSessionAttrs !== 'read-write') return client;
      const { rows } = await client.query('SHOW transaction_read_only');
      if (rows[0].transaction_read_only === 'off') return client;
    } catch {
      // not reachable: the next host
    }
    await client?.end().catch(() => {});
  }
  throw new Error(`no ${target.targetSessionAttrs} server among ${target.hosts.join(',')}`);
}

// Runs sql and returns {ok: true, rows} or {ok: false, code, message, detail, hint}.
async function attempt(client, sql, params = []) {
  try {
    return { ok: true, rows: (await client.query(sql, params)).rows };
  } catch (e) {
    let detail = e.detail;
    try {
      detail = JSON.parse(e.detail);
    } catch {
      // PostgreSQL's own errors carry text
    }
    return { ok: false, code: e.code, message: e.message, detail, hint: e.hint };
  }
}

// server.js's waitFor (a probe polled until truthy or `seconds` pass), every quarter second
// unless told.
function waitFor(probe, { seconds, interval = 0.25 }) {
  return serverWaitFor(probe, { seconds, interval });
}

// Waits until `standby` has replayed everything `primary` has written so far.
async function caughtUp(primary, standby, seconds = 30) {
  const lsn = await value(primary, 'SELECT pg_current_wal_lsn()::text');
  return waitFor(async () => value(standby, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn', [lsn]), { seconds });
}

// A server command (pg_ctl, pg_autoctl) as postgres: initdb and postgres refuse root.
function asPostgres(command, args, options = {}) {
  const [file, argv] = process.getuid() === 0
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

// `pg_autoctl run` for a node's data dir, in a process group of its own that run-ha.sh
// stops at the end (its pid is added to the supervisors file).
function startAutoctl(dataDir) {
  const env = { ...process.env, HOME: '/var/lib/postgresql' };
  const out = fs.openSync(`${dataDir}.log`, 'a');
  const [file, argv] = process.getuid() === 0
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', 'pg_autoctl', 'run', '--pgdata', dataDir]]
    : ['pg_autoctl', ['run', '--pgdata', dataDir]];
  const child = spawn(file, argv, { env, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.appendFileSync(path.join(process.env.HA_WORK, 'supervisors'), `${child.pid}\n`);
  return child.pid;
}

// The process groups run-ha.sh (and startAutoctl) recorded: monitor, node1, node2, ...
function supervisors() {
  return fs.readFileSync(path.join(process.env.HA_WORK, 'supervisors'), 'utf8').split('\n').filter(Boolean)
    .map(Number);
}

// The postmaster of a data dir, from its postmaster.pid (undefined when it is not there).
function postmasterPid(dataDir) {
  try {
    return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// What a crash of the machine does to a pg_auto_failover node: its keeper (the whole process
// group of its `pg_autoctl run`, which would otherwise restart postgres) and its postgres die
// at once, with SIGKILL.
function killNode(pgid, dataDir) {
  const postmaster = postmasterPid(dataDir);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  if (postmaster && alive(postmaster)) process.kill(postmaster, 'SIGKILL');
}

// Background processes of a server, by backend_type (pg_stat_activity).
async function backendTypes(client) {
  const { rows } = await client.query('SELECT backend_type FROM pg_stat_activity ORDER BY 1');
  return rows.map((r) => r.backend_type);
}

// How many lines of a log file contain `text`.
function logLines(file, text) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.includes(text)).length;
}

// README's node-postgres retry recipe ("Retries across a failover"), as printed, with its
// example hosts and database replaced by these: {connectPrimary, assignWithRetry}.
function readmeRetryRecipe(hosts, database = 'postgres') {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Retries across a failover'));
  const code = /```js\n([\s\S]*?)```/.exec(section)[1]
    .replace("['db1:5432', 'db2:5432']", JSON.stringify(hosts))
    .replace("database: 'app'", `database: ${JSON.stringify(database)}, user: 'postgres'`);
  // eslint-disable-next-line no-new-func
  return new Function('require', `${code}\nreturn { connectPrimary, assignWithRetry };`)(
    (name) => (name === 'pg' ? pg : require(name)));
}

module.exports = {
  readmeRetryRecipe,
  ROOT, RESTAURANT, table, booking, tableOf,
  connect, parseMultiHost, connectMultiHost, value, attempt, waitFor, caughtUp,
  asPostgres, startAutoctl, supervisors, postmasterPid, alive, killNode, backendTypes, logLines, sleep,
};
